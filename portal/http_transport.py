"""How the portal's HTTP clients reach their peers: the network, or — in development and tests, where the fakes
of outside services run inside this very application — an in-memory WSGI transport (no socket).

`settings.PAGOPA_HTTP_TRANSPORT == "wsgi"` asks for the in-memory one.
"""

import functools
import ssl
from collections.abc import Callable, Iterable

import httpx
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from django.utils import translation

# --- in-process transport --------------------------------------------------------------------------------------


class _InProcessApp:
    """This Django application as a WSGI app that is safe to call from inside a request or a test transaction.

    Django's WSGIHandler fires request_started/request_finished, whose `close_old_connections` would close the
    database connection in the middle of the caller's transaction (a test's, or the outer request's). As
    django.test.client.ClientHandler does, the receiver is disconnected for the call, then reconnected only if it
    was connected before (a nested call must not reconnect it under an outer one). The body is read and the
    response closed inside that window, and the caller's active language is restored afterwards.
    """

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        language = translation.get_language()
        had_started = signals.request_started.disconnect(close_old_connections)
        had_finished = signals.request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()
            return [body]
        finally:
            if had_started:
                signals.request_started.connect(close_old_connections)
            if had_finished:
                signals.request_finished.connect(close_old_connections)
            if language:
                translation.activate(language)


@functools.cache
def _in_process_app() -> _InProcessApp:
    return _InProcessApp()


def wsgi_transport() -> httpx.WSGITransport:
    """An httpx transport that hands requests to this Django application in memory (no socket)."""
    return httpx.WSGITransport(app=_in_process_app())


def configured_transport(setting: str = "PAGOPA_HTTP_TRANSPORT") -> httpx.BaseTransport | None:
    """The transport a setting asks for (PAGOPA_HTTP_TRANSPORT, IO_HTTP_TRANSPORT): in-process when "wsgi", else the
    network (None)."""
    return wsgi_transport() if getattr(settings, setting) == "wsgi" else None


# --- TLS -------------------------------------------------------------------------------------------------------


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every outgoing client shares (httpx's defaults: certifi's CA bundle, verification on).

    Built once per process: loading the CA bundle costs about 60 ms of CPU, which `httpx.Client()` would otherwise
    spend at every call to the platform — a third of a top-up's time under load. An SSLContext is safe to share
    between threads and connections."""
    return httpx.create_ssl_context()
