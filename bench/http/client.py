"""A tiny HTTP client with a cookie jar that signs in through the real allauth form, and the load generator."""

import html
import http.client
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from bench.http import DEMO_CF, DEMO_PASSWORD, FAMILY
from bench.server import percentile


class Browser:
    """Speaks plain HTTP to gunicorn but says X-Forwarded-Proto: https, and sends Secure cookies itself."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, body: str | None = None, extra: dict[str, str] | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=self.headers(extra))
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response, content


def login(browser: Browser) -> bytes:
    response, content = browser.request("GET", "/account/login/")
    assert response.status == 200, f"GET /account/login/ answered {response.status}"
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    assert match, "no csrfmiddlewaretoken in the login form"
    assert "csrftoken" in browser.cookies, "no csrftoken cookie"
    form = {"csrfmiddlewaretoken": html.unescape(match.group(1).decode()), "login": DEMO_CF, "password": DEMO_PASSWORD}
    origin = f"https://127.0.0.1:{browser.port}"
    response, content = browser.request(
        "POST",
        "/account/login/",
        body=urlencode(form),
        extra={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "Referer": f"{origin}/account/login/",
        },
    )
    hops = 0
    while response.status in (301, 302, 303) and hops < 5:
        location = response.headers["Location"]
        if location.startswith(origin):
            location = location[len(origin) :]
        response, content = browser.request("GET", location)
        hops += 1
    assert "sessionid" in browser.cookies, f"no session after login (last status {response.status})"
    response, content = browser.request("GET", FAMILY)
    assert response.status == 200, f"GET {FAMILY} after login answered {response.status}"
    assert DEMO_CF.encode() in content, f"{FAMILY} does not show the codice fiscale"
    return content


# --- load generator ----------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    path: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """In milliseconds."""
        return percentile(self.latencies, p) * 1000

    def merge(self, other: "Result") -> None:
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.errors += other.errors


def load(
    port: int, label: str, path: str, headers: dict[str, str], expect: bytes, clients: int, seconds: float
) -> Result:
    """N threads, one http.client connection each, as many GETs as fit in `seconds`."""
    result = Result(label, path)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = 0.0

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies, errors = [], 0
        start.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and expect in body
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            t1 = time.perf_counter()
            if ok:
                latencies.append(t1 - t0)
            else:
                errors += 1
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result
