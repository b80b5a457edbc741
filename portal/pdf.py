"""One way to make a PDF with WeasyPrint, shared by the letters, the enrollment receipt, notices and receipts.

- Only local files are fetched: the fonts below and the Comune's logo (plus data: URIs); a template can never make
  the server fetch a URL or read another file.
- The font configuration and the fetcher are built once per thread (Pango objects are not shared between
  threads): @font-face fonts are loaded once, not at every PDF.
"""

import atexit
import logging
import threading
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.contrib.staticfiles import finders

logger = logging.getLogger(__name__)

# Static files of the Bootstrap Italia theme: Titillium Web for text, Roboto Mono for codes and amounts.
PDF_FONTS = {
    "titillium_400": "fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-regular.ttf",
    "titillium_600": "fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-600.ttf",
    "titillium_700": "fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-700.ttf",
    "mono_700": "fonts/Roboto_Mono/roboto-mono-v13-latin-ext_latin-700.ttf",
}


def _static_path(path: str) -> Path | None:
    found = finders.find(path)
    return Path(found).resolve() if found else None


def static_file_uri(path: str) -> str:
    """A file:// URI for WeasyPrint; empty if the static file is missing (the CSS falls back to DejaVu)."""
    found = _static_path(path)
    return found.as_uri() if found else ""


def comune_place(comune_name: str) -> str:
    """'Comune di Borgo Demo' → 'Borgo Demo', for the place and date line."""
    for prefix in ("Comune di ", "Comune del ", "Comune della ", "Città di ", "Comune "):
        if comune_name.startswith(prefix):
            return comune_name.removeprefix(prefix)
    return comune_name


@lru_cache(maxsize=1)
def assets() -> dict:
    """file:// URIs of the fonts and the logo (looked up once per process), and the set of files PDFs may read."""
    fonts = {name: _static_path(path) for name, path in PDF_FONTS.items()}
    logo = _static_path(settings.PORTAL_COMUNE_LOGO)
    return {
        "fonts": {name: path.as_uri() if path else "" for name, path in fonts.items()},
        "logo": logo.as_uri() if logo else "",
        "allowed": frozenset(path for path in [*fonts.values(), logo] if path),
    }


def local_fetcher():
    """A WeasyPrint URL fetcher that serves only the files in `assets()["allowed"]` (and data: URIs)."""
    from weasyprint.urls import URLFetcher, URLFetchingError

    allowed = assets()["allowed"]

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "file":
                if Path(url2pathname(urlsplit(url).path)).resolve() in allowed:
                    return super().fetch(url, headers)
            elif scheme == "data":
                return super().fetch(url, headers)
            logger.warning("PDF rendering: refused to fetch %s", url[:200])
            raise URLFetchingError(f"not a local asset: {url[:200]}")

    return LocalFetcher(allowed_protocols=("file", "data"), timeout=1)


_KITS: dict[int, tuple] = {}  # thread id -> (FontConfiguration, URL fetcher)


def weasyprint_kit() -> tuple:
    """This thread's (FontConfiguration, fetcher), built on its first PDF."""
    kit = _KITS.get(threading.get_ident())
    if kit is None:
        from weasyprint.text.fonts import FontConfiguration  # heavy import, only where a PDF is made

        kit = (FontConfiguration(), local_fetcher())
        if not _KITS:
            # FontConfiguration removes its temporary font folder when collected: let that happen before the
            # interpreter tears the modules down (at teardown its clean-up fails and prints a traceback).
            atexit.register(_KITS.clear)
        _KITS[threading.get_ident()] = kit
    return kit


def html_to_pdf(html: str, *, stylesheets=()) -> bytes:
    """The PDF of an HTML document whose assets are `assets()` URIs (fonts, logo)."""
    from weasyprint import HTML

    font_config, fetcher = weasyprint_kit()
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(
        stylesheets=list(stylesheets), font_config=font_config
    )
