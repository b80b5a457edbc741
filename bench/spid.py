"""SPID benchmark (issue 15): one SPID round trip against the test IdP next to one password login, in the same run
(and a CIE round trip and a single logout beside them).

    .venv/bin/python -m bench.spid [--rounds 20]

Creates a throw-away PostgreSQL database (`portal_bench_spid`, dropped at the end, also on failure) and, in this
process with production settings (DEBUG off), times with Django's test client: a SPID round trip (the portal's
signed AuthnRequest, the test IdP's signed response for a demo citizen, the portal's checks and the sign-in) and a
password sign-in of an account with the same codice fiscale (allauth's form, the password hash): medians of
--rounds each, and their ratio. Stops by itself; talks only to 127.0.0.1.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time

from bench.database import database_drop, database_recreate, in_process_env

DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_bench_spid")
VALUE = re.compile(r'name="(SAMLRequest|SAMLResponse)" value="([^"]+)"')
PASSWORD = "Bench-Password-2026"


PORTAL_SHARE: list[float] = []  # of each SPID/CIE round trip, the portal's own time (request page and ACS)


def spid_round(client, idp_pk: int, sso: str = "spididp:sso") -> float:
    from django.urls import reverse

    start = time.perf_counter()
    page = client.get(reverse("spid:login"), {"idp": idp_pk})
    request = VALUE.search(page.content.decode()).group(2)
    idp_start = time.perf_counter()
    answer = client.post(reverse(sso), {"SAMLRequest": request, "citizen": 0, "mode": "ok"})
    idp_end = time.perf_counter()
    done = client.post(reverse("spid:acs"), {"SAMLResponse": VALUE.search(answer.content.decode()).group(2)})
    elapsed = time.perf_counter() - start
    assert done.status_code == 302, done.content[:300]
    PORTAL_SHARE.append(elapsed - (idp_end - idp_start))
    client.logout()
    return elapsed


def logout_round(client, idp_pk: int) -> float:
    """After a SPID entry (not timed): the portal's logout, the signed LogoutRequest, the IdP's signed answer and
    its check."""
    from django.urls import reverse

    page = client.get(reverse("spid:login"), {"idp": idp_pk})
    answer = client.post(
        reverse("spididp:sso"), {"SAMLRequest": VALUE.search(page.content.decode()).group(2), "citizen": 0}
    )
    client.post(reverse("spid:acs"), {"SAMLResponse": VALUE.search(answer.content.decode()).group(2)})
    start = time.perf_counter()
    client.post(reverse("account_logout"))
    request = client.get(reverse("spid:logout"))
    answer = client.post(reverse("spididp:slo"), {"SAMLRequest": VALUE.search(request.content.decode()).group(2)})
    done = client.post(reverse("spid:slo"), {"SAMLResponse": VALUE.search(answer.content.decode()).group(2)})
    elapsed = time.perf_counter() - start
    assert done.status_code == 200, done.content[:300]
    return elapsed


def password_round(client) -> float:
    from django.urls import reverse

    start = time.perf_counter()
    done = client.post(reverse("account_login"), {"login": "RSSMRA85C52H501N", "password": PASSWORD})
    elapsed = time.perf_counter() - start
    assert done.status_code == 302, done.content[:300]
    client.logout()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spid", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    keys = tempfile.mkdtemp(prefix="bench-spid-")
    os.environ.update(
        in_process_env(
            DB_NAME,
            PAYMENTS_MOCK_ENABLED="true",  # installs the test IdP with the other fakes
            PORTAL_DEMO="true",
            DJANGO_ALLOWED_HOSTS="testserver",
            DJANGO_SECURE_SSL_REDIRECT="false",
            PORTAL_DOMAIN="testserver",
            SPID_KEY_FILE=f"{keys}/sp.key",
            SPID_CERT_FILE=f"{keys}/sp.crt",
        )
    )
    print(f"Preparing database {DB_NAME} ...", flush=True)
    database_recreate(DB_NAME)
    try:
        import django

        django.setup()
        from allauth.account.models import EmailAddress
        from django.core.management import call_command
        from django.test import Client

        from accounts.models import User
        from spid.models import IdentityProvider

        call_command("migrate", verbosity=0)
        call_command("spid_test_idp_register", verbosity=0)
        user = User.objects.create_user("RSSMRA85C52H501N", "maria@bench.example.it", PASSWORD, first_name="Maria")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        idp_pk = IdentityProvider.objects.get(test=True, kind="spid").pk
        cie_pk = IdentityProvider.objects.get(test=True, kind="cie").pk
        client = Client(secure=True)
        spid_round(client, idp_pk)  # warm-up: keys, metadata, templates
        spid_round(client, cie_pk, "spididp:cie_sso")
        password_round(client)
        logout_round(client, idp_pk)
        spid_times, cie_times, password_times, logout_times = [], [], [], []
        for _ in range(args.rounds):  # interleaved: the machine's load falls on all four alike
            spid_times.append(spid_round(client, idp_pk))
            cie_times.append(spid_round(client, cie_pk, "spididp:cie_sso"))
            password_times.append(password_round(client))
            logout_times.append(logout_round(client, idp_pk))
    finally:
        database_drop(DB_NAME)
    spid_ms = statistics.median(spid_times) * 1000
    cie_ms = statistics.median(cie_times) * 1000
    logout_ms = statistics.median(logout_times) * 1000
    password_ms = statistics.median(password_times) * 1000
    print()
    print(f"SPID round trip (request, test IdP, checks, sign-in): median {spid_ms:.0f} ms over {args.rounds}")
    print(f"CIE round trip (same, CIE test IdP):                  median {cie_ms:.0f} ms over {args.rounds}")
    print(f"Password sign-in (allauth form, password hash):        median {password_ms:.0f} ms over {args.rounds}")
    print(f"Single logout (logout, LogoutRequest, IdP, check):     median {logout_ms:.0f} ms over {args.rounds}")
    portal_ms = statistics.median(PORTAL_SHARE) * 1000
    print(f"  of which the portal (request page and ACS; the rest is the test IdP): median {portal_ms:.0f} ms")
    print(
        f"SPID / password: {spid_ms / password_ms:.2f}; the portal's share / password: {portal_ms / password_ms:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
