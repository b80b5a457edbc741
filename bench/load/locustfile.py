"""Parent journeys for locust (run by `python -m bench.load` / `bench.faults`, configured through LOAD_* variables).

Scenarios (LOAD_SCENARIO):
- `iscrizioni` — the first hour of an enrollment window: sign in through the allauth form, the family page, the
  payments page, one wizard step (start a canteen application for the child and answer the school page), a top-up
  paid online in the fake platform (checkout, PSP page, pay) and back to the portal's return page.
- `sollecito` — the evening a reminder goes out: sign in, the payments page, a top-up paid in the fake.
- `costante` — the floor: as many GET /bench/constant per "session" as an `iscrizioni` session makes requests.

A stepped ramp (LOAD_STEPS sessions per minute, LOAD_STEP_SECONDS each, after LOAD_WARMUP_SECONDS at the first
step's rate that are not judged): each simulated parent starts one session
every LOAD_STEP_SECONDS (constant pacing, the first after a random delay so that arrivals spread), so a step of R
sessions/min runs R x seconds / 60 parents. At the end of each step (plus a 2 s grace for requests in flight) the
step is judged: 0 errors, p95 of the portal's requests < LOAD_P95_MS and at least 90% of the sessions due started
(a saturated portal cannot keep the pace); the same is judged with the sign-in's POST left out of the p95 (its
password hash alone is half the budget here). The first step failing both ends the run (LOAD_NO_STOP=1: never
judged, the fault bench's background load). The steps go to LOAD_RESULT as JSON; LOAD_LOG, if set, gets one line
per request. Sessions come from the families in LOAD_DATA, each parent with an X-Forwarded-For address of its own
(compose's proxy in front: rate limits count per client).
"""

import http.cookiejar
import itertools
import json
import math
import os
import random
import re
import threading
import time
from collections import defaultdict

from locust import HttpUser, LoadTestShape, constant_pacing, events, task

SCENARIO = os.environ.get("LOAD_SCENARIO", "iscrizioni")
STEPS = [int(x) for x in os.environ.get("LOAD_STEPS", "60,120").split(",")]
STEP_SECONDS = float(os.environ.get("LOAD_STEP_SECONDS", "15"))
WARMUP_SECONDS = float(os.environ.get("LOAD_WARMUP_SECONDS", "0"))
P95_MS = float(os.environ.get("LOAD_P95_MS", "500"))
NO_STOP = os.environ.get("LOAD_NO_STOP") == "1"
FAKE = os.environ.get("LOAD_FAKE", "")
CONSTANT_REQUESTS = int(os.environ.get("LOAD_CONSTANT_REQUESTS", "14"))
with open(os.environ["LOAD_DATA"], encoding="utf-8") as fh:
    DATA = json.load(fh)
FAMILIES = DATA["families"]
NEXT_FAMILY = itertools.count(int(os.environ.get("LOAD_FAMILY_OFFSET", "0")))

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
WINDOW = re.compile(r'name="windows"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="windows"')
SCHOOL = re.compile(r'name="school"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="school"')


def _secure_cookies_on_loopback(self, cookie, request) -> bool:
    return True


# Send Secure cookies over plain HTTP: on loopback the bench stands where compose's TLS proxy would. Patched on the
# class, as requests copies the session's cookies into a jar of its own (default policy) for every request.
http.cookiejar.DefaultCookiePolicy.return_ok_secure = _secure_cookies_on_loopback  # type: ignore[method-assign]


# --- the ramp and its judgement ----------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bounds: list[float] = []  # wall-clock start of each step
        self.requests: dict[int, list[tuple[str, float, bool, str]]] = defaultdict(list)
        self.sessions: dict[int, int] = defaultdict(int)
        self.judged: list[dict] = []
        self.log = open(os.environ["LOAD_LOG"], "a", encoding="utf-8") if os.environ.get("LOAD_LOG") else None  # noqa: SIM115

    def step_at(self, when: float) -> int:
        step = -1
        for index, start in enumerate(self.bounds):
            if when >= start:
                step = index
        return step

    def request(self, name: str, ms: float, ok: bool, status: int, error: str) -> None:
        started = time.time() - ms / 1000
        with self.lock:
            self.requests[self.step_at(started)].append((name, ms, ok, error))
            if self.log is not None:
                self.log.write(
                    json.dumps({"t": round(started, 3), "name": name, "ms": round(ms, 1), "status": status, "ok": ok})
                    + "\n"
                )

    def session(self) -> None:
        with self.lock:
            self.sessions[self.step_at(time.time())] += 1

    def judge(self, index: int) -> dict:
        with self.lock:
            rows = list(self.requests[index])
            sessions = self.sessions[index]
        rate = STEPS[index]
        portal = sorted(ms for name, ms, _ok, _e in rows if not name.startswith("fake "))
        # The same without the password check (POST /account/login/: PBKDF2 alone is ~0.2-0.4 s of a core here).
        no_login = sorted(ms for name, ms, _ok, _e in rows if not name.startswith(("fake ", "POST /account/login/")))
        per_name: dict[str, list] = defaultdict(list)
        for name, ms, ok, _e in rows:
            per_name[name].append((ms, ok))
        errors = [f"{name}: {e}" for name, _ms, ok, e in rows if not ok]
        due = rate * STEP_SECONDS / 60
        result = {
            "rate": rate,
            "users": users_for(rate),
            "sessions": sessions,
            "sessions_due": round(due, 1),
            "achieved_per_min": round(sessions * 60 / STEP_SECONDS, 1),
            "requests": len(rows),
            "errors": len(errors),
            "error_samples": sorted(set(errors))[:5],
            "p50": pct(portal, 50),
            "p95": pct(portal, 95),
            "p95_no_login": pct(no_login, 95),
            "per_name": {
                name: {
                    "count": len(values),
                    "errors": sum(1 for _ms, ok in values if not ok),
                    "mean": round(sum(ms for ms, _ok in values) / len(values), 1),
                    "p95": pct(sorted(ms for ms, _ok in values), 95),
                }
                for name, values in sorted(per_name.items())
            },
        }
        p95 = pct(portal, 95)
        kept_pace = bool(rows) and not errors and sessions >= 0.9 * due
        result["passed"] = kept_pace and p95 < P95_MS
        result["passed_no_login"] = kept_pace and pct(no_login, 95) < P95_MS
        self.judged.append(result)
        return result


RECORDER = Recorder()


def pct(ordered: list[float], p: float) -> float:
    if not ordered:
        return float("nan")
    return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 1)


def users_for(rate: int) -> int:
    return max(1, math.ceil(rate * STEP_SECONDS / 60))


class Ramp(LoadTestShape):
    def tick(self):
        run_time = self.get_run_time() - WARMUP_SECONDS
        if run_time < 0:  # warm-up at the first step's rate (workers import, compile templates, connect): not judged
            return users_for(STEPS[0]), 100
        index = int(run_time // STEP_SECONDS)
        while len(RECORDER.bounds) <= min(index, len(STEPS) - 1):
            RECORDER.bounds.append(time.time())
        last = len(RECORDER.judged) - 1
        if not NO_STOP and index - 1 > last and run_time >= index * STEP_SECONDS + 2:
            verdict = RECORDER.judge(last + 1)
            if not verdict["passed"] and not verdict.get("passed_no_login", verdict["passed"]):
                return None
        if index >= len(STEPS):
            return None if NO_STOP or len(RECORDER.judged) >= len(STEPS) else (users_for(STEPS[-1]), 100)
        return users_for(STEPS[index]), 100


@events.request.add_listener
def on_request(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    RECORDER.request(name, response_time, exception is None, status, "" if exception is None else str(exception)[:120])


@events.quitting.add_listener
def on_quit(environment, **kwargs):
    if os.environ.get("LOAD_RESULT"):
        with open(os.environ["LOAD_RESULT"], "w", encoding="utf-8") as out:
            json.dump({"scenario": SCENARIO, "step_seconds": STEP_SECONDS, "steps": RECORDER.judged}, out)
    if RECORDER.log is not None:
        RECORDER.log.close()


# --- the parent ----------------------------------------------------------------------------------------------------


class Abort(Exception):
    pass


class Parent(HttpUser):
    wait_time = constant_pacing(STEP_SECONDS)

    def on_start(self) -> None:
        time.sleep(random.uniform(0, STEP_SECONDS))
        # constant_pacing counts from the user's creation: from the end of the spread instead, or the second session
        # of every new parent would bunch at the next step's start.
        self._cp_last_run = time.perf_counter()

    # one request, checked; `expect` the status (a redirect is not followed)
    def call(self, method: str, url: str, name: str, expect: int = 200, data: dict | None = None):
        with self.client.request(method, url, name=name, data=data, allow_redirects=False, catch_response=True) as r:
            if r.status_code != expect:
                r.failure(f"status {r.status_code}, expected {expect}")
                raise Abort
            r.success()
        return r

    def csrf(self, response) -> str:
        match = CSRF.search(response.text)
        if not match:
            raise Abort
        return match.group(1)

    @task
    def session(self) -> None:
        RECORDER.session()
        self.client.cookies.clear()
        number = next(NEXT_FAMILY)  # every session is another parent, from another address
        self.family = FAMILIES[number % len(FAMILIES)]
        self.client.headers["X-Forwarded-For"] = f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
        try:
            if SCENARIO == "costante":
                for _n in range(CONSTANT_REQUESTS):
                    self.call("GET", "/bench/constant", "GET /bench/constant")
            elif SCENARIO == "iscrizioni":
                self.login()
                self.call("GET", "/famiglia/", "GET /famiglia/")
                self.call("GET", "/pagamenti/avvisi/", "GET /pagamenti/avvisi/")
                self.wizard_step()
                self.topup_and_pay()
            else:  # sollecito
                self.login()
                self.call("GET", "/pagamenti/avvisi/", "GET /pagamenti/avvisi/")
                self.topup_and_pay()
        except Abort:
            pass

    def login(self) -> None:
        page = self.call("GET", "/account/login/", "GET /account/login/")
        form = {"csrfmiddlewaretoken": self.csrf(page), "login": self.family["cf"], "password": DATA["password"]}
        self.call("POST", "/account/login/", "POST /account/login/", 302, form)

    def wizard_step(self) -> None:
        child = self.family["child"]
        page = self.call("GET", f"/iscrizioni/?bambino={child}", "GET /iscrizioni/?bambino=")
        window = WINDOW.search(page.text)
        if window is None:  # this child already has its application (families reused): resume it instead
            match = re.search(r'href="(/iscrizioni/\d+/[\w-]+/)', page.text)
            if match is None:
                raise Abort
            step_url = match.group(1)
        else:
            window_id = window.group(1) or window.group(2)
            form = {"csrfmiddlewaretoken": self.csrf(page), "bambino": child, "windows": window_id}
            started = self.call("POST", "/iscrizioni/", "POST /iscrizioni/ (start)", 302, form)
            step_url = started.headers["Location"]
        page = self.call("GET", step_url, "GET /iscrizioni/[id]/[step]/")
        school = SCHOOL.search(page.text)
        form = {"csrfmiddlewaretoken": self.csrf(page)}
        if school is not None:
            form["school"] = school.group(1) or school.group(2)
        self.call("POST", step_url, "POST /iscrizioni/[id]/[step]/", 302, form)

    def topup_and_pay(self) -> None:
        page = self.call("GET", "/pagamenti/ricarica/", "GET /pagamenti/ricarica/")
        form = {
            "csrfmiddlewaretoken": self.csrf(page),
            "child": self.family["child"],
            "service_kind": "canteen",
            "amount": "25,00",
            "action": "online",
        }
        topup = self.call("POST", "/pagamenti/ricarica/", "POST /pagamenti/ricarica/", 302, form)
        checkout = topup.headers["Location"]
        if "/mockpsp/checkout/" not in checkout:
            self.fail_journey("POST /pagamenti/ricarica/", f"not sent to the checkout: {checkout[:80]}")
        self.call("GET", checkout, "fake GET checkout")
        pay_page = self.call("GET", checkout + "paga/?metodo=account", "fake GET checkout/paga")
        form = {"csrfmiddlewaretoken": self.csrf(pay_page), "method": "account", "psp": "MOCKBANK2"}
        back = self.call("POST", checkout + "paga/", "fake POST checkout/paga", 302, form).headers["Location"]
        self.call("GET", back, "GET /pagamenti/carrello/[id]/esito/ok/")

    def fail_journey(self, name: str, why: str) -> None:
        events.request.fire(
            request_type="CHECK", name=name, response_time=0, response_length=0, exception=Exception(why)
        )
        raise Abort
