"""The English catalog is complete, and English is served only to visitors who chose it.

The msgids are Italian (the portal's language); locale/en/LC_MESSAGES/django.po is the only catalog we
ship. bin/check-translations refreshes it with makemessages; these tests check it as committed.
"""

import ast
import contextlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import trans_real

pytestmark = pytest.mark.django_db

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
HOME_TITLE = "Mensa, trasporto e nido: tutto in un unico posto"
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")$")


def parse_po(text: str) -> list[dict]:
    """Entries of a .po file: {"line", "flags", "msgid", "msgid_plural"?, "msgstr": [one per plural form]}.

    Obsolete (#~) entries are skipped; makemessages runs with --no-obsolete anyway.
    """
    entries: list[dict] = []
    entry: dict | None = None
    key = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            entry = key = None
            continue
        if line.startswith("#"):
            if entry is None or "msgid" in entry:
                entry = {"line": number, "flags": set(), "msgstr": {}}
                entries.append(entry)
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        match = KEYWORD.match(line)
        if match:
            keyword, literal = match.groups()
            if entry is None or (keyword in ("msgid", "msgctxt") and "msgid" in entry):
                entry = {"line": number, "flags": set(), "msgstr": {}}
                entries.append(entry)
            key = keyword
        else:
            if not line.startswith('"') or key is None:
                raise ValueError(f"{PO}:{number}: cannot parse {raw!r}")
            literal = line
        value = ast.literal_eval(literal)
        if key.startswith("msgstr"):
            index = int(key[7:-1]) if "[" in key else 0
            entry["msgstr"][index] = entry["msgstr"].get(index, "") + value
        else:
            entry[key] = entry.get(key, "") + value
    for item in entries:
        item["msgstr"] = [item["msgstr"][i] for i in sorted(item["msgstr"])]
    return [item for item in entries if "msgid" in item]


@pytest.fixture(scope="module")
def catalog() -> list[dict]:
    return parse_po(PO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def english(catalog) -> dict[str, str]:
    return {entry["msgid"]: entry["msgstr"][0] for entry in catalog if entry["msgid"]}


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalog():
    """Compile the .mo (git-ignored; `make test` compiles it too) and forget translations loaded before."""
    with contextlib.chdir(settings.BASE_DIR):
        call_command("compilemessages", locale=["en"], ignore_patterns=[".venv/*", "var/*"], verbosity=0)
    trans_real._translations = {}
    trans_real._default = None


@pytest.fixture(autouse=True)
def _back_to_italian():
    """The locale middleware activates the chosen language for the thread: don't leak English to other tests."""
    yield
    translation.deactivate()


def main_lang(html: str) -> str | None:
    """The page's language: the document's own `lang` (templates/portal/document.html)."""
    match = re.search(r"<html\b[^>]*\blang=\"([^\"]*)\"", html)
    return match.group(1) if match else None


# --- (a) the catalog --------------------------------------------------------------------------------


def test_catalog_has_entries(catalog):
    assert len([entry for entry in catalog if entry["msgid"]]) > 50
    assert any(entry["msgid"] == HOME_TITLE for entry in catalog), "makemessages did not pick up the templates"


def test_catalog_has_no_untranslated_or_fuzzy_entries(catalog):
    fuzzy = [f"line {e['line']}: {e['msgid']!r}" for e in catalog if "fuzzy" in e["flags"]]
    untranslated = [
        f"line {e['line']}: {e['msgid']!r}"
        for e in catalog
        if e["msgid"] and (not e["msgstr"] or not all(e["msgstr"]))
    ]
    assert not fuzzy, "fuzzy entries (header included) in django.po — run bin/check-translations"
    assert not untranslated, "untranslated entries in django.po — run bin/check-translations"


def test_catalog_keeps_placeholders_and_plural_forms(catalog):
    for entry in catalog:
        if not entry["msgid"]:
            continue
        names = set(PLACEHOLDER.findall(entry["msgid"] + entry.get("msgid_plural", "")))
        if "msgid_plural" in entry:
            assert len(entry["msgstr"]) == 2, entry["msgid"]
        for text in entry["msgstr"]:
            if "msgid_plural" in entry:
                assert set(PLACEHOLDER.findall(text)) <= names, entry["msgid"]
            else:
                assert set(PLACEHOLDER.findall(text)) == names, entry["msgid"]


# --- (b)-(d) what visitors get ----------------------------------------------------------------------


def test_english_cookie_gives_the_english_home_page(client, english):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert english[HOME_TITLE] != HOME_TITLE
    assert english[HOME_TITLE] in html
    assert HOME_TITLE not in html
    assert main_lang(html) == "en"
    assert response.headers["Content-Language"] == "en"


def test_browser_language_alone_does_not_switch_to_english(client, english):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en")
    html = response.content.decode()
    assert response.status_code == 200
    assert HOME_TITLE in html
    assert english[HOME_TITLE] not in html
    assert main_lang(html) == "it"
    assert response.headers["Content-Language"] == "it"


def test_language_switch_sets_the_cookie_and_the_next_page_is_english(client, english):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    html = client.get("/").content.decode()
    assert english[HOME_TITLE] in html
    assert main_lang(html) == "en"

    client.post("/i18n/setlang/", {"language": "it", "next": "/"})
    html = client.get("/").content.decode()
    assert HOME_TITLE in html
    assert main_lang(html) == "it"


@pytest.mark.django_db
def test_pages_vary_on_the_language_cookie(client):
    response = client.get("/")
    assert "Cookie" in response.headers["Vary"]
    assert response.headers["Content-Language"] == "it"
