"""Settings of the IO messages (the app IO's API for public-administration services) and of the fake IO, read by
portal/settings.py, which unpacks `io_settings(env, ...)` into its own names.

One IO service per Comune service (mensa, trasporto, nido), each with its own key (`IO_KEY_CANTEEN`, ...): a service
without a key sends no IO message (the e-mail goes alone). The fake IO (the mockio app) is installed when
IO_MOCK_ENABLED, like the pagoPA fake, and the client then reaches it in this process.
"""

from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured

IO_API_URL = "https://api.io.pagopa.it/api/v1"


class IoSettings(NamedTuple):
    IO_MOCK_ENABLED: bool
    IO_BASE_URL: str
    IO_SERVICES: dict[str, dict[str, str]]
    IO_REQUESTS_PER_SECOND: int
    IO_TIMEOUT_SECONDS: float
    IO_GIVE_UP_HOURS: int
    IO_HTTP_TRANSPORT: str
    NOTIFY_DEFAULT_CHANNEL: str


def io_settings(env: Any, *, debug: bool, demo: bool, domain: str, embedded: bool) -> IoSettings:
    mock = env.bool("IO_MOCK_ENABLED", default=env.bool("PAYMENTS_MOCK_ENABLED", default=debug))
    if mock and not debug and not demo:
        raise ImproperlyConfigured(
            "IO_MOCK_ENABLED è attivo con DEBUG spento: in produzione IO_MOCK_ENABLED=false, per una demo "
            "PORTAL_DEMO=true. The fake IO is on with DEBUG off: IO_MOCK_ENABLED=false, or PORTAL_DEMO=true."
        )
    fake_key = "mock-io-key-{}" if mock else ""
    values = {
        "IO_MOCK_ENABLED": mock,
        "IO_BASE_URL": env("IO_BASE_URL", default=f"http://{domain}/mockio/api/v1" if mock else IO_API_URL),
        # The use key of each service (primary or secondary: equivalent); empty = no IO messages for it.
        "IO_SERVICES": {
            kind: {"key": env(f"IO_KEY_{kind.upper()}", default=fake_key.format(kind) if fake_key else "")}
            for kind in ("canteen", "transport", "nursery")
        },
        # IO's services API allows 150 requests in 5 s per API user: a profile check and a message are 2 requests.
        "IO_REQUESTS_PER_SECOND": env.int("IO_REQUESTS_PER_SECOND", default=30),
        "IO_TIMEOUT_SECONDS": env.float("IO_TIMEOUT_SECONDS", default=10.0),
        # A message that could not be handed to IO for this long is given up (its e-mail goes, if it was held).
        "IO_GIVE_UP_HOURS": env.int("IO_GIVE_UP_HOURS", default=48),
        "IO_HTTP_TRANSPORT": env("IO_HTTP_TRANSPORT", default="wsgi" if mock and embedded else ""),
        # What a parent gets when they have not chosen: "email", "io" or "both" (they change it in their account).
        "NOTIFY_DEFAULT_CHANNEL": env("NOTIFY_DEFAULT_CHANNEL", default="both"),
    }
    return IoSettings(**values)
