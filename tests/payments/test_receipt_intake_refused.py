"""The receipt endpoint authenticates first (issue 11, finding 3 and the nested-JSON item of finding 5): a refused
call keeps only its hash, length, first kilobyte and sender; bodies over the limit are refused unread; a sender that
keeps being refused is answered 429 and not recorded; refused calls are purged after the office's period."""

import datetime
import hashlib
import io

import pytest
from django.core.cache import cache
from django.test import Client
from django.test.client import ClientHandler
from django.urls import reverse
from django.utils import timezone

from payments.models import LedgerEntry, Receipt, ReceiptMessage
from payments.services import refused_intake_call_purge
from portal.models import RetentionPolicy

from .factories import notice_make, receipt_body, signature, signed, single_option

pytestmark = pytest.mark.django_db
Refusal = ReceiptMessage.Refusal
URL = "payments:receipt_intake"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def _post(raw: bytes, *, sign: bool = False, address: str = "203.0.113.7", **headers):
    if sign:
        headers["X-PagoPA-Signature"] = signature(raw)
    return Client(REMOTE_ADDR=address).post(reverse(URL), raw, content_type="application/json", headers=headers)


def test_an_unsigned_body_keeps_only_hash_length_and_first_kilobyte(settings):
    raw = b'{"receiptId": "' + b"x" * 50_000 + b'"}'

    response = _post(raw)

    assert response.status_code == 401
    assert response.json()["fault"] == "PAA_FIRMA_NON_VALIDA"
    message = ReceiptMessage.objects.get()
    assert message.authenticated is False
    assert len(message.body) == 1024
    assert message.body_length == len(raw)
    assert message.body_sha256 == hashlib.sha256(raw).hexdigest()
    assert message.remote_addr == "203.0.113.7"


def test_a_body_over_the_limit_is_refused_unread_with_413(settings):
    settings.PAYMENTS_RECEIPT_MAX_BYTES = 4096
    raw = b"a" * 2_000_000

    response = _post(raw, sign=True)

    assert response.status_code == 413
    message = ReceiptMessage.objects.get()
    assert (message.authenticated, message.body_length) == (False, 2_000_000)
    assert len(message.body) <= 1024
    assert "troppo grande" in message.reason


def test_a_signed_receipt_is_still_credited_and_kept_whole(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    raw, headers = signed(receipt_body(option=single_option(notice)))

    response = _post(raw, **headers)

    assert response.status_code == 200
    message = ReceiptMessage.objects.get()
    assert message.authenticated is True
    assert message.body == raw.decode()
    assert message.body_sha256 == hashlib.sha256(raw).hexdigest()
    notice.refresh_from_db()
    assert notice.status == notice.Status.PAID


def test_deeply_nested_signed_json_is_a_400_and_recorded_never_a_500():
    raw = b"[" * 100_000 + b"]" * 100_000

    response = _post(raw, sign=True)

    assert response.status_code in (400, 413)
    assert response.json()["outcome"] == "KO"
    assert ReceiptMessage.objects.get().authenticated is False


def test_deeply_nested_signed_json_under_the_limit_is_a_400(settings):
    settings.PAYMENTS_RECEIPT_MAX_BYTES = 1_000_000
    raw = b"[" * 100_000 + b"]" * 100_000

    response = _post(raw, sign=True)

    assert response.status_code == 400
    assert response.json()["fault"] == "PAA_SINTASSI"
    message = ReceiptMessage.objects.get()
    assert "troppo" not in message.reason
    assert "nested" in message.reason
    assert message.refusal == Refusal.TOO_DEEP


def test_json_nested_deeper_than_any_receipt_is_refused_before_it_is_parsed(monkeypatch):
    # 40 levels: the parser itself would read them (no RecursionError) and find a list, not a receipt; the depth
    # check refuses it first, so no nesting reaches the parser at all.
    monkeypatch.setattr("payments.gateway.http.json.loads", _never_called)
    raw = b"[" * 40 + b"]" * 40

    response = _post(raw, sign=True)

    assert response.status_code == 400
    message = ReceiptMessage.objects.get()
    assert (message.authenticated, message.refusal) == (False, Refusal.TOO_DEEP)


def _never_called(*args, **kwargs):
    raise AssertionError("json.loads called on a body nested too deep")


def test_brackets_inside_strings_are_not_nesting(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    raw, headers = signed(receipt_body(option=single_option(notice), psp_name="[[[[{{{{" * 10 + '\\" [[['))

    response = _post(raw, **headers)

    assert response.status_code == 200
    assert Receipt.objects.get().psp_name.startswith("[[[[{{{{")


@pytest.mark.parametrize(
    ("raw", "sign", "status", "refusal"),
    [
        (b'{"receiptId": "x"}', False, 401, Refusal.SIGNATURE),
        (b'{"receiptId": ', True, 400, Refusal.MALFORMED),
        (b"\xff\xfe", True, 400, Refusal.MALFORMED),
        (b"[" * 100 + b"]" * 100, True, 400, Refusal.TOO_DEEP),
        (b'{"receiptId": "x"}', True, 400, Refusal.SHAPE),
        (b"[1, 2]", True, 400, Refusal.SHAPE),
        (b"a" * 5000, True, 413, Refusal.TOO_LARGE),
    ],
    ids=["unsigned", "truncated-json", "not-utf8", "nested", "no-receipt-fields", "a-list", "too-large"],
)
def test_each_refused_call_is_recorded_with_its_reason_code(settings, raw, sign, status, refusal):
    settings.PAYMENTS_RECEIPT_MAX_BYTES = 4096

    response = _post(raw, sign=sign)

    assert response.status_code == status
    message = ReceiptMessage.objects.get()
    assert (message.authenticated, message.outcome, message.refusal) == (False, "rejected", refusal)


def test_a_sender_refused_too_often_gets_429_and_is_no_longer_recorded(settings):
    settings.PAYMENTS_RECEIPT_REFUSED_LIMIT = 3

    statuses = [_post(b"junk %d" % n).status_code for n in range(5)]

    assert statuses == [401, 401, 401, 429, 429]
    assert ReceiptMessage.objects.count() == 3
    assert _post(b"junk", address="198.51.100.9").status_code == 401  # another sender is not affected
    assert ReceiptMessage.objects.count() == 4


def test_a_signed_receipt_from_a_sender_past_its_limit_is_still_credited_once(settings, giulia, parent):
    # The limit counts refused calls only: junk from the platform's own address cannot block its receipts.
    settings.PAYMENTS_RECEIPT_REFUSED_LIMIT = 2
    assert [_post(b"junk %d" % n).status_code for n in range(3)] == [401, 401, 429]
    notice = notice_make(child=giulia, payer=parent)
    raw, headers = signed(receipt_body(option=single_option(notice)))

    statuses = [_post(raw, **headers).status_code, _post(raw, **headers).status_code]

    assert statuses == [200, 200]
    assert Receipt.objects.count() == LedgerEntry.objects.count() == 1
    assert ReceiptMessage.objects.filter(authenticated=True).count() == 2  # accepted, then the duplicate


def test_refused_calls_are_purged_after_the_offices_period_and_receipts_are_kept(giulia, parent):
    RetentionPolicy.objects.create(pk=1, refused_call_days=30)
    _post(b"old junk")
    _post(b"new junk")
    notice = notice_make(child=giulia, payer=parent)
    raw, headers = signed(receipt_body(option=single_option(notice)))
    _post(raw, **headers)
    old = ReceiptMessage.objects.get(body="old junk")
    ReceiptMessage.objects.filter(pk=old.pk).update(received_at=timezone.now() - datetime.timedelta(days=31))
    ReceiptMessage.objects.filter(authenticated=True).update(received_at=timezone.now() - datetime.timedelta(days=400))

    assert refused_intake_call_purge(now=timezone.now(), dry_run=True) == 1
    assert ReceiptMessage.objects.count() == 3
    assert refused_intake_call_purge(now=timezone.now(), dry_run=False) == 1

    assert set(ReceiptMessage.objects.values_list("body", flat=True)) == {"new junk", raw.decode()}


def test_the_privacy_notice_states_the_refused_calls_period(client, legal_documents):
    RetentionPolicy.objects.create(pk=1, refused_call_days=45)
    body = client.get(reverse("accounts:privacy")).content.decode()
    assert "Chiamate rifiutate al servizio che riceve le ricevute di pagamento" in body
    assert "per 45 giorni" in body


class _CountingBody(io.BytesIO):
    """The request body as the server hands it over, counting how many bytes the application reads."""

    taken = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk

    def readline(self, size=-1):
        chunk = super().readline(size)
        self.taken += len(chunk)
        return chunk


def _wsgi_post(stream: io.BytesIO, *, declared: int | None) -> int:
    """POST the stream as the WSGI server would (the test client's handler, minus its in-memory body)."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": reverse(URL),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "203.0.113.7",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": stream,
        "wsgi.url_scheme": "http",
    }
    if declared is not None:
        environ["CONTENT_LENGTH"] = str(declared)
    return ClientHandler()(environ).status_code


@pytest.mark.parametrize("size", [300_000, 3_000_000])  # under and over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
def test_an_unsigned_body_over_the_default_limit_is_refused_after_reading_one_kilobyte(size):
    stream = _CountingBody(b"a" * size)

    status = _wsgi_post(stream, declared=size)

    assert status == 413
    assert stream.taken <= 1024
    message = ReceiptMessage.objects.get()
    assert (message.refusal, message.body_length, len(message.body)) == (Refusal.TOO_LARGE, size, 1024)
