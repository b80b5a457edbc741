"""The in-process measurements, each run by `python -m bench.payments --worker NAME` in a process of its own
(Django set up on the bench database); `worker` prints the result as JSON on the last line."""

import argparse
import json
import secrets
import statistics
import time

from bench.payments import FAMILIES, LATENCY_SAMPLES


def _cf(prefix: str, number: int) -> str:
    return f"{prefix}{number:010d}"  # 16 upper-case characters, as the models require (not a checked CF)


def worker_families(count: int) -> dict:
    from django.db import transaction

    from accounts.models import Child, Guardianship, User

    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    codice_fiscale=_cf("BNCPRN", n),
                    email=f"genitore{n}@bench.example.it",
                    first_name="Genitore",
                    last_name=f"Numero {n}",
                    password="!",
                )
                for n in range(count)
            ],
            batch_size=1000,
        )
        children = Child.objects.bulk_create(
            [
                Child(
                    codice_fiscale=_cf("BNCFGL", n),
                    first_name="Bambino",
                    last_name=f"Numero {n}",
                    birth_date="2018-05-01",
                    sex="M" if n % 2 else "F",
                )
                for n in range(count)
            ],
            batch_size=1000,
        )
        Guardianship.objects.bulk_create(
            [
                Guardianship(adult=user, child=child, role=Guardianship.Role.REFERENCE)
                for user, child in zip(users, children, strict=True)
            ],
            batch_size=1000,
        )
    return {"families": count}


def _specs(count: int, families: list, offset: int) -> list[dict]:
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    due = timezone.localdate() + datetime.timedelta(days=30)
    specs = []
    for n in range(count):
        user, child = families[(offset + n) % len(families)]
        spec = {
            "child": child,
            "service_kind": ("canteen", "transport", "nursery")[n % 3],
            "purpose": "topup" if n % 2 == 0 else "fee",
            "amount": Decimal("120.00"),
            "causale": f"Servizi scolastici a.s. 2026/2027 - {child.first_name} {child.last_name}",
            "due_date": due,
            "payer": user,
        }
        if n % 8 == 1:  # a quarter of the fees, in three instalments
            spec["instalments"] = [(Decimal("40.00"), due + datetime.timedelta(days=90 * k)) for k in range(3)]
        specs.append(spec)
    return specs


def worker_issue(small: int, large: int) -> dict:
    import gc

    from accounts.models import Guardianship
    from payments.services import notices_issue_bulk

    families = [(g.adult, g.child) for g in Guardianship.objects.select_related("adult", "child").order_by("pk")]
    timings = {}
    offset = 0
    for label, count in (("warmup", 200), ("small", small), ("large", large)):
        specs = _specs(count, families, offset)
        offset += count
        gc.collect()
        start = time.perf_counter()
        issued = notices_issue_bulk(specs=specs)
        timings[label] = {"count": issued, "seconds": time.perf_counter() - start}
    return timings


def _soap_envelope(body: dict) -> str:
    """The same receipt as the Nodo sends it to the station: paSendRTV2 (the fake's builder, with its transfer)."""
    from django.conf import settings

    from mockpsp.receipt_xml import pa_send_rt_v2_envelope

    transfer = {
        "idTransfer": 1,
        "transferAmount": body["paymentAmount"],
        "fiscalCodePA": body["fiscalCode"],
        "IBAN": settings.PAGOPA_CREDITOR_IBAN,
        "remittanceInformation": body["description"][:140],
        "transferCategory": "9/0101108TS/",
    }
    receipt = body | {
        "transferList": [transfer],
        "idChannel": "BENCHPSP_01",
        "channelDescription": "online",
        "PSPCompanyName": body["PSPCompanyName"],
    }
    receipt["debtor"] = receipt["payer"]
    ids = {
        "id_pa": settings.PAGOPA_ID_PA,
        "id_broker_pa": settings.PAGOPA_ID_BROKER_PA,
        "id_station": settings.PAGOPA_ID_STATION.split(",")[0],
    }
    return pa_send_rt_v2_envelope(receipt, **ids).decode()


def worker_receipts_prepare(count: int, path: str, soap: int = 0) -> dict:
    """Receipts for `count` distinct unpaid top-up notices (each with its child and balance row): signed JSON, and
    for `soap` more of them paSendRTV2 envelopes for the station (kept after the JSON ones in the file)."""
    import hashlib
    import hmac

    from django.conf import settings
    from django.urls import reverse
    from django.utils import timezone

    from payments.models import PaymentOption

    options = list(
        PaymentOption.objects.filter(instalment=0, notice__purpose="topup", paid_at__isnull=True)
        .select_related("notice")
        .order_by("pk")[: count + soap]
    )
    if len(options) < count + soap:
        raise RuntimeError(f"only {len(options)} unpaid top-up notices for {count + soap} receipts")
    now = timezone.localtime().replace(microsecond=0).isoformat()
    items = []
    for n, option in enumerate(options):
        cents = int(option.amount * 100)
        body = {
            "receiptId": f"bench{n:010d}{secrets.token_hex(6)}",
            "noticeNumber": option.notice_number,
            "fiscalCode": settings.PAGOPA_CREDITOR_FISCAL_CODE,
            "outcome": "OK",
            "creditorReferenceId": option.iuv,
            "paymentAmount": f"{cents // 100}.{cents % 100:02d}",
            "description": option.notice.causale,
            "companyName": settings.PAGOPA_CREDITOR_NAME,
            "debtor": {
                "entityUniqueIdentifierType": "F",
                "entityUniqueIdentifierValue": option.notice.payer_fiscal_code,
            },
            "payer": {
                "entityUniqueIdentifierType": "F",
                "entityUniqueIdentifierValue": option.notice.payer_fiscal_code,
                "fullName": option.notice.payer_name,
            },
            "idPSP": f"BENCHPSP{n % 3}",
            "PSPCompanyName": f"Banca di prova {n % 3}",
            "paymentMethod": "CP",
            "fee": "1.00",
            "paymentDateTime": now,
            "applicationDate": now[:10],
        }
        raw = json.dumps(body, separators=(",", ":"))
        signature = (
            "sha256=" + hmac.new(settings.PAYMENTS_WEBHOOK_SECRET.encode(), raw.encode(), hashlib.sha256).hexdigest()
        )
        items.append(
            {
                "body": raw,
                "soap": _soap_envelope(body) if n >= count else "",
                "signature": signature,
                "child_id": option.notice.child_id,
                "service_kind": option.notice.service_kind,
                "amount": str(option.amount),
            }
        )
    with open(path, "w", encoding="utf-8") as out:
        json.dump(items, out)
    return {
        "receipts": len(items),
        "path": reverse("payments:receipt_intake"),
        "station": reverse("payments:pagopa_station"),
    }


def worker_pdf() -> dict:
    import importlib.util

    if importlib.util.find_spec("payments.pdf") is None:
        return {"skipped": "payments/pdf.py does not exist yet"}
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from payments import pdf
    from payments.models import PaymentNotice

    def timed(function) -> float:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start

    notice_samples = 16  # first renders timed, in pk order (1 in 8 notices of the bench has instalments)
    minimal_samples = 20

    def median_of(function, count: int = minimal_samples) -> float:
        function()
        function()  # two warm-ups
        return statistics.median(timed(function) for _n in range(count))

    notices = list(
        PaymentNotice.objects.filter(pdf="").select_related("child", "payer").order_by("pk")[: notice_samples + 1]
    )
    cold = timed(lambda: pdf.notice_pdf_get_or_render(notice=notices[0]))  # the process's very first PDF
    # The baseline follows the notice's conventions: portal.pdf keeps one FontConfiguration per thread for the
    # process's life, so the minimal page reuses one too. WeasyPrint's default (a new FontConfiguration, i.e. a new
    # fontconfig set-up and font loading, at every call) is measured as well, for reference only.
    font_config = FontConfiguration()
    minimal = median_of(lambda: HTML(string="<p>Hello</p>").write_pdf(font_config=font_config))
    minimal_default = median_of(lambda: HTML(string="<p>Hello</p>").write_pdf())
    single, instalments = [], []
    for notice in notices[1:]:
        seconds = timed(lambda n=notice: pdf.notice_pdf_get_or_render(notice=n))
        (instalments if len(notice.options.all()) > 1 else single).append(seconds)  # prefetched by the render
    stored = notices[1]
    stored.refresh_from_db()
    size = len(pdf.notice_pdf_get_or_render(notice=stored))
    repeat = statistics.median(timed(lambda: pdf.notice_pdf_get_or_render(notice=stored)) for _n in range(20))
    return {
        "cold": cold,
        "minimal": minimal,
        "minimal_default": minimal_default,
        "minimal_samples": minimal_samples,
        "first": statistics.median(single + instalments),
        "first_single": statistics.median(single) if single else None,
        "first_instalments": statistics.median(instalments) if instalments else None,
        "samples": len(single + instalments),
        "instalment_samples": len(instalments),
        "repeat": repeat,
        "bytes": size,
    }


def worker_queries() -> dict:
    import datetime
    from decimal import Decimal

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import Child, Guardianship, User
    from payments.services import notices_issue_bulk

    user = User.objects.create(
        codice_fiscale=_cf("PAGPGN", 1), email="pagina@bench.example.it", first_name="Anna", last_name="Pagina"
    )
    children = [
        Child.objects.create(
            codice_fiscale=_cf("PAGFGL", n), first_name=name, last_name="Pagina", birth_date="2018-01-01", sex="F"
        )
        for n, name in enumerate(["Giulia", "Marco"])
    ]
    for child in children:
        Guardianship.objects.create(adult=user, child=child, role=Guardianship.Role.REFERENCE)
    today = timezone.localdate()
    notices_issue_bulk(
        specs=[
            {
                "child": children[n % 2],
                "service_kind": "canteen",
                "purpose": "topup" if n % 2 else "fee",
                "amount": Decimal("25.00"),
                "causale": f"Ricarica mensa n. {n}",
                "due_date": today + datetime.timedelta(days=n + 1),
                "payer": user,
            }
            for n in range(50)
        ]
    )
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    url = reverse("payments:notices")
    warm = client.get(url, secure=True)
    if warm.status_code != 200:
        raise RuntimeError(f"GET {url} answered {warm.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return {"url": url, "queries": [q["sql"] for q in ctx.captured_queries], "bytes": len(response.content)}


def worker(name: str, args: argparse.Namespace) -> None:
    import django

    django.setup()
    if name == "families":
        result = worker_families(FAMILIES)
    elif name == "issue":
        result = worker_issue(args.small, args.large)
    elif name == "receipts":
        result = worker_receipts_prepare(args.receipts + LATENCY_SAMPLES, args.data, soap=args.receipts)
    elif name == "pdf":
        result = worker_pdf()
    elif name == "queries":
        result = worker_queries()
    else:
        raise SystemExit(f"unknown worker {name}")
    print(json.dumps(result))
