"""Messages in the app IO (IO's API for public-administration services), sent through an outbox like the e-mails.

A message is an `IoMessage` row written in the action's transaction and handed to IO after commit by a task:
1. checked against the API's bounds first (subject 10-120, markdown 80-10000 characters, a notice number with its
   check digits, an amount of at least one cent): an invalid message is never sent;
2. `POST /profiles` with the fiscal code (the guide asks for it before each message): 404 = not on IO, 200 with
   `sender_allowed: false` = the citizen switched the service off; both recorded, and a held e-mail goes;
3. `POST /messages` (fiscal code in the body): 201 = taken, its id stored; 400/401/403 = refused for good.
429, 5xx and no connection are retried with backoff (IO's `x-rate-limit-retry-after` honoured) until
IO_GIVE_UP_HOURS. No answer after the request was sent (read timeout) is "uncertain" and not retried: IO has no
idempotency key, and a second POST could give the citizen two copies. Requests are paced to
IO_REQUESTS_PER_SECOND across the workers (a counter per second in the cache).

The payee is never sent: IO fills in the service's organization (the Comune, the notices' creditor), and sending
it needs a permission the services do not have (403).
"""

import datetime
import logging
import time
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.core.cache import cache
from django.core.checks import Tags, Warning, register
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import mail, tasks
from .http_transport import configured_transport, tls_context
from .models import IoMessage, OutboxEmail

logger = logging.getLogger(__name__)

KEY_HEADER = "Ocp-Apim-Subscription-Key"
SUBJECT_BOUNDS = (10, 120)
MARKDOWN_BOUNDS = (80, 10000)
BACKOFF_SECONDS = (30, 60, 120, 300, 600)
ROME = ZoneInfo("Europe/Rome")
Status = IoMessage.Status


@dataclass(frozen=True)
class IoContent:
    """One message for one citizen, before it is written."""

    kind: str
    service: str  # canteen, transport or nursery: the IO service (and key) that sends it
    fiscal_code: str
    template: str  # io/<template>_subject.txt and io/<template>.md
    context: dict
    payment_data: dict | None = None
    due_date: datetime.date | None = None


def due_instant(day: datetime.date) -> datetime.datetime:
    """A deadline without a time is the end of that day in Italy (23:59:59 Rome), as UTC."""
    local = datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=ROME)
    return local.astimezone(datetime.UTC)


def payment_data(*, amount_cents: int, notice_number: str) -> dict:
    return {"amount": int(amount_cents), "notice_number": notice_number, "invalid_after_due_date": False}


def _row(content: IoContent) -> IoMessage:
    """The message as IO shows it: always in Italian (the IO catalogue's language), whatever page caused it."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"io/{content.template}_subject.txt", content.context).split())
        markdown = render_to_string(f"io/{content.template}.md", content.context).strip()
    return IoMessage(
        kind=content.kind,
        service=content.service,
        fiscal_code=content.fiscal_code.upper(),
        subject=subject[:200],
        markdown=markdown,
        payment_data=content.payment_data,
        due_date=due_instant(content.due_date) if content.due_date else None,
    )


def io_enqueue_many(contents: list[tuple[IoContent, OutboxEmail | None]]) -> list[IoMessage]:
    """Write the messages (each with the e-mail held for it, if any) in the caller's transaction; they are handed
    to IO after commit."""
    rows = []
    for content, held in contents:
        row = _row(content)
        row.email = held
        rows.append(row)
    created = IoMessage.objects.bulk_create(rows, batch_size=500)
    transaction.on_commit(partial(_dispatch_many, [row.pk for row in created]))
    return created


def _dispatch_many(ids: list[int]) -> None:
    for pk in ids:
        try:
            tasks.io_send_task.delay(pk)
        except Exception:  # the broker may be unreachable in many ways: the beat job sends it later
            logger.warning("Broker unreachable: IO message %s stays pending", pk, exc_info=True)
            return


# --- checks ----------------------------------------------------------------------------------------------------


def notice_number_valid(number: str) -> bool:
    """IO's pattern (^[0123][0-9]{17}$) and, for the portal's aux digit 3, the check digits: the first 16 digits
    modulo 93 (the rule of payments.pagopa, which this bottom layer may not import)."""
    if len(number) != 18 or not number.isdigit() or number[0] not in "0123":
        return False
    return number[0] != "3" or int(number[:16]) % 93 == int(number[16:])


def content_problem(row: IoMessage) -> str:
    """Why IO would refuse the message ("" when it would take it)."""
    low, high = SUBJECT_BOUNDS
    if not low <= len(row.subject) <= high:
        return f"oggetto di {len(row.subject)} caratteri (ammessi {low}-{high})"
    low, high = MARKDOWN_BOUNDS
    if not low <= len(row.markdown) <= high:
        return f"testo di {len(row.markdown)} caratteri (ammessi {low}-{high})"
    if row.payment_data is not None:
        amount = row.payment_data.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
            return "importo non valido (almeno un centesimo)"
        if not notice_number_valid(str(row.payment_data.get("notice_number", ""))):
            return "codice avviso non valido (cifre di controllo)"
    return ""


# --- delivery --------------------------------------------------------------------------------------------------


class _Retry(Exception):
    def __init__(self, reason: str, after: int | None = None) -> None:
        super().__init__(reason)
        self.after = after


class _Final(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _pace() -> None:
    """At most IO_REQUESTS_PER_SECOND requests per second from all workers together."""
    limit = max(1, int(settings.IO_REQUESTS_PER_SECOND))
    while True:
        second = int(time.time())
        key = f"io:rate:{second}"
        cache.add(key, 0, timeout=5)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            continue
        if used <= limit:
            return
        time.sleep(max(0.0, second + 1 - time.time()))


def _post(client: httpx.Client, path: str, key: str, body: dict) -> httpx.Response:
    _pace()
    try:
        return client.post(f"{settings.IO_BASE_URL}{path}", headers={KEY_HEADER: key}, json=body)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
        raise _Retry(f"IO non raggiungibile: {type(error).__name__}") from error


def _check_answer(response: httpx.Response, what: str) -> None:
    if response.status_code == 429:
        after = response.headers.get("x-rate-limit-retry-after", "")
        raise _Retry(f"{what}: 429", int(after) if after.isdigit() else None)
    if response.status_code >= 500:
        raise _Retry(f"{what}: HTTP {response.status_code}")


def _problem(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(data, dict):
        return f"HTTP {response.status_code}"
    return f"HTTP {response.status_code} {data.get('title') or data.get('message') or ''} {data.get('detail') or ''}"


def _send(row: IoMessage, key: str) -> str:
    """Profile check then the message; returns IO's message id."""
    transport = configured_transport("IO_HTTP_TRANSPORT")
    with httpx.Client(transport=transport, verify=tls_context(), timeout=settings.IO_TIMEOUT_SECONDS) as client:
        profile = _post(client, "/profiles", key, {"fiscal_code": row.fiscal_code})
        _check_answer(profile, "profilo")
        if profile.status_code == 404:
            raise _Final(Status.NOT_ON_IO, "profilo non trovato su IO")
        if profile.status_code != 200:
            raise _Final(Status.FAILED, f"profilo: {_problem(profile)}"[:500])
        if not profile.json().get("sender_allowed"):
            raise _Final(Status.NOT_ALLOWED, "il cittadino non riceve messaggi da questo servizio")
        content: dict = {"subject": row.subject, "markdown": row.markdown}
        if row.due_date:
            content["due_date"] = row.due_date.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if row.payment_data:
            content["payment_data"] = row.payment_data
        _pace()
        try:
            answer = client.post(
                f"{settings.IO_BASE_URL}/messages",
                headers={KEY_HEADER: key},
                json={"fiscal_code": row.fiscal_code, "content": content},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise _Retry(f"IO non raggiungibile: {type(error).__name__}") from error
        except httpx.TransportError as error:  # sent, no answer: IO may have it; a second POST could duplicate it
            raise _Final(Status.UNCERTAIN, f"nessuna risposta dopo l'invio: {type(error).__name__}") from error
        _check_answer(answer, "messaggio")
        if answer.status_code != 201:
            raise _Final(Status.FAILED, f"messaggio: {_problem(answer)}"[:500])
        return str(answer.json().get("id", ""))[:32]


def _release(row: IoMessage) -> None:
    """IO could not take the message: the e-mail held for it goes."""
    if row.email_id and OutboxEmail.objects.filter(pk=row.email_id, status=OutboxEmail.Status.HELD).update(
        status=OutboxEmail.Status.PENDING
    ):
        transaction.on_commit(partial(mail.email_dispatch, row.email_id))


def io_deliver(*, message_id: int) -> str:
    """Hand one message to IO (see the module); returns its status. Locks the row: never sent twice."""
    with transaction.atomic():
        row = IoMessage.objects.select_for_update().filter(pk=message_id).first()
        if row is None or row.status != Status.PENDING:
            return row.status if row is not None else ""
        now = timezone.now()
        if row.next_attempt_at and row.next_attempt_at > now:
            return row.status
        row.attempts += 1
        key = (settings.IO_SERVICES.get(row.service) or {}).get("key", "")
        problem = content_problem(row)
        try:
            if problem:
                raise _Final(Status.INVALID, problem)
            if not key:
                raise _Final(Status.NO_SERVICE, f"nessuna chiave IO per il servizio {row.service}")
            row.io_message_id = _send(row, key)
        except _Retry as retry:
            row.last_error = str(retry)[:500]
            if now - row.created_at > datetime.timedelta(hours=settings.IO_GIVE_UP_HOURS):
                row.status = Status.GIVEN_UP
                _release(row)
            else:
                wait = retry.after or BACKOFF_SECONDS[min(row.attempts - 1, len(BACKOFF_SECONDS) - 1)]
                row.next_attempt_at = now + datetime.timedelta(seconds=wait)
                transaction.on_commit(partial(_retry_later, row.pk, wait))
        except _Final as final:
            row.status, row.last_error = final.status, str(final)[:500]
            _release(row)
            if final.status in (Status.INVALID, Status.FAILED, Status.UNCERTAIN):
                logger.warning("IO message %s: %s (%s)", row.pk, final.status, final)
        else:
            row.status, row.sent_at, row.last_error = Status.SENT, now, ""
            if row.email_id:
                OutboxEmail.objects.filter(pk=row.email_id, status=OutboxEmail.Status.HELD).update(
                    status=OutboxEmail.Status.NOT_NEEDED
                )
        row.save()
        return row.status


def _retry_later(pk: int, seconds: int) -> None:
    try:
        tasks.io_send_task.apply_async((pk,), countdown=seconds)
    except Exception:  # the beat job picks it up
        logger.warning("Broker unreachable: IO message %s retried by the beat job", pk, exc_info=True)


def io_dispatch_due(*, limit: int = 2000) -> int:
    """The beat job: hand to IO the pending messages that are due (their task was lost, or their wait is over)."""
    now = timezone.now()
    due = IoMessage.objects.filter(status=Status.PENDING).exclude(next_attempt_at__gt=now).order_by("pk")
    statuses = [io_deliver(message_id=pk) for pk in due.values_list("pk", flat=True)[:limit]]
    return sum(1 for status in statuses if status == Status.SENT)


# --- deployment checks ------------------------------------------------------------------------------------------


@register(Tags.security, deploy=True)
def io_production_settings(app_configs, **kwargs) -> list[Warning]:
    """`check --deploy`: in production the messages go to IO itself, over HTTPS, with the services' own keys."""
    warnings = []
    if settings.IO_MOCK_ENABLED:
        warnings.append(
            Warning(
                "The IO fake is served (IO_MOCK_ENABLED): its inbox shows any citizen's messages to anyone.",
                hint="Set IO_MOCK_ENABLED=false in production.",
                id="portal.W101",
            )
        )
    keyed = [kind for kind, service in settings.IO_SERVICES.items() if service.get("key")]
    if keyed and (not settings.IO_BASE_URL.startswith("https://") or "/mockio/" in settings.IO_BASE_URL):
        warnings.append(
            Warning(
                f"IO services with a key ({', '.join(keyed)}) but IO_BASE_URL is not IO's HTTPS API.",
                hint="Leave IO_BASE_URL to its default (IO's production API) or set IO's HTTPS base URL.",
                id="portal.W102",
            )
        )
    fake_keys = [kind for kind in keyed if settings.IO_SERVICES[kind]["key"].startswith("mock-io-key")]
    if fake_keys:
        warnings.append(
            Warning(
                f"IO services with the fake's key: {', '.join(fake_keys)}.",
                hint="Set IO_KEY_<SERVICE> to the service's use key from IO's back office, or leave it empty.",
                id="portal.W103",
            )
        )
    return warnings
