"""Real-browser fixtures: Debian's chromium driven by playwright (sync API), axe-core and a 360 px check.

The browser is the system's `/usr/bin/chromium` (never `playwright install`). Without it the tests are
skipped, except in CI (`CI=true`), where a missing browser is a failure.
"""

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 360, "height": 800}
BLOCKING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 10_000

# The elements sticking out on the right of the viewport, innermost last (for the failure message).
_OVERFLOWING_ELEMENTS_JS = """
() => {
    const limit = window.innerWidth;
    const out = [];
    for (const el of document.querySelectorAll("body *")) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.right <= limit + 0.5) continue;
        const style = getComputedStyle(el);
        if (style.visibility === "hidden" || style.display === "none") continue;
        const cls = typeof el.className === "string" && el.className.trim()
            ? "." + el.className.trim().split(/\\s+/).join(".") : "";
        out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls} right=${Math.round(box.right)}`);
    }
    return out.slice(-15);
}
"""


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found: install Debian's chromium package to run the browser tests"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def mail_dir(settings, tmp_path) -> Path:
    """E-mails written as files, as in development: the test reads them like a parent reads the inbox."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


@pytest.fixture
def orm() -> Callable[..., Any]:
    """Run database code from a test while the browser is open: `orm(User.objects.get, pk=1)`.

    Playwright's sync API keeps an asyncio loop running in the main thread, where Django refuses ORM
    calls (and a connection opened there anyway outlives the test, so the test database cannot be
    dropped). A short-lived thread has no loop, and its connection is closed before it ends.
    """

    def run(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        def call() -> Any:
            try:
                return function(*args, **kwargs)
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(call).result()

    return run


@pytest.fixture
def browser():
    """A headless chromium for one test (request it after the fixtures that write to the database)."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="it-IT")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


class PageAudit:
    """axe-core (serious and critical violations fail) and no horizontal scrolling at 360 px."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.visited: list[str] = []

    def __call__(self, page, label: str) -> None:
        self.visited.append(label)
        problems = [f"{label} (desktop): {line}" for line in self._axe_problems(page)]
        page.set_viewport_size(MOBILE)
        try:
            problems += [f"{label} (360 px): {line}" for line in self._axe_problems(page)]
            problems += [f"{label} (360 px): {line}" for line in self._overflow_problems(page)]
        finally:
            page.set_viewport_size(DESKTOP)
        if problems:
            pytest.fail(f"{page.url}\n" + "\n".join(problems), pytrace=False)

    def _axe_problems(self, page) -> list[str]:
        results = self.axe.run(page)
        lines = []
        for violation in results.response["violations"]:
            if violation["impact"] not in BLOCKING_IMPACTS:
                continue
            targets = "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
            lines.append(f"axe {violation['id']} [{violation['impact']}] {violation['help']} -> {targets}")
        return lines

    @staticmethod
    def _overflow_problems(page) -> list[str]:
        scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if scroll_width <= inner_width:
            return []
        culprits = page.evaluate(_OVERFLOWING_ELEMENTS_JS)
        return [f"horizontal overflow: scrollWidth {scroll_width} > innerWidth {inner_width}", *culprits]


@pytest.fixture
def audit() -> PageAudit:
    return PageAudit()


# --- the enrollment and payment journeys ----------------------------------------------------------------------


@pytest.fixture
def pagopa_live(settings, live_server) -> str:
    """The pagoPA fake over real sockets: the gateway calls the live server, the fake posts receipts back to it.

    In the other tests the gateway reaches the fake in memory (PAGOPA_HTTP_TRANSPORT = "wsgi"); a browser test
    needs what production has: the portal's HTTP calls, the checkout pages on a real host, the receipts arriving at
    the station (paSendRTV2, SOAP) as requests of their own. Returns the live server's URL.
    """
    from django.urls import reverse

    settings.PAGOPA_HTTP_TRANSPORT = ""
    settings.PAGOPA_BASE_URL = f"{live_server.url}/mockpsp/api"
    settings.PORTAL_DOMAIN = live_server.url.split("://", 1)[1]
    settings.PAGOPA_MOCK_RECEIPT_URL = live_server.url + reverse("payments:pagopa_station")
    return live_server.url


@pytest.fixture
def pdf_text(tmp_path) -> Callable[[bytes], str]:
    """The text of a PDF as a person reads it (poppler's pdftotext, layout kept); fails unless it is a PDF."""
    import subprocess

    counter = iter(range(1_000_000))

    def read(content: bytes) -> str:
        assert content.startswith(b"%PDF"), content[:40]
        path = tmp_path / f"document-{next(counter)}.pdf"
        path.write_bytes(content)
        result = subprocess.run(  # noqa: S603
            ["pdftotext", "-layout", str(path), "-"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    return read
