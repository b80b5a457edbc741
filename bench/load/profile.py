"""Where the time of one endpoint goes: cProfile around the same request made in process with Django's test client
on the bench database (`python -m bench.load --worker profile --endpoint NAME`), after two warm-ups; the fake
platform's gunicorn still answers the gateway's calls."""

import cProfile
import io
import json
import pstats
import re

REPEAT = 10


def _request(client, endpoint: str, family: dict, password: str):
    """The locust request named `endpoint`, made again; None if this endpoint cannot be replayed here."""
    child = family["child"]
    if endpoint == "POST /account/login/":
        client.logout()
        return client.post("/account/login/", {"login": family["cf"], "password": password})
    simple = {
        "GET /famiglia/": "/famiglia/",
        "GET /pagamenti/avvisi/": "/pagamenti/avvisi/",
        "GET /pagamenti/ricarica/": "/pagamenti/ricarica/",
        "GET /iscrizioni/?bambino=": f"/iscrizioni/?bambino={child}",
        "GET /account/login/": "/account/login/",
    }
    if endpoint in simple:
        return client.get(simple[endpoint])
    if endpoint == "POST /pagamenti/ricarica/":
        form = {"child": child, "service_kind": "canteen", "amount": "25,00", "action": "online"}
        return client.post("/pagamenti/ricarica/", form)
    return None


def profile(endpoint: str, data_path: str, top: int = 14) -> dict:
    from django.test import Client

    from accounts.models import User

    with open(data_path, encoding="utf-8") as fh:
        data = json.load(fh)
    family = data["families"][-1]  # a parent the ramp has not used
    client = Client()
    client.force_login(User.objects.get(codice_fiscale=family["cf"]))
    for _n in range(2):
        response = _request(client, endpoint, family, data["password"])
        if response is None:
            return {"skipped": f"{endpoint} is not replayed in process"}
    profiler = cProfile.Profile()
    statuses = []
    profiler.enable()
    for _n in range(REPEAT):
        statuses.append(_request(client, endpoint, family, data["password"]).status_code)
    profiler.disable()
    lines = {}
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(order).print_stats(top)
        text = re.sub(r"/[^\s:]*/site-packages/", "", out.getvalue()).replace(f"{_base()}/", "")
        lines[order] = [line for line in text.splitlines() if line.strip()]
    stats = pstats.Stats(profiler)
    hashing = sum(row[2] for key, row in stats.stats.items() if "pbkdf2" in key[2])  # type: ignore[attr-defined]
    return {
        "endpoint": endpoint,
        "repeat": REPEAT,
        "statuses": sorted(set(statuses)),
        "seconds": stats.total_tt,  # type: ignore[attr-defined]
        "hash_seconds": hashing,
        **lines,
    }


def _base() -> str:
    from django.conf import settings

    return str(settings.BASE_DIR)
