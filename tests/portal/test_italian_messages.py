"""Italian pages carry no English (issue 10, item 6): the libraries' messages a parent or a clerk can meet, every
form's errors, the admin's column headers and model names, the history rows, and `<html lang>`."""

import ast
import html
import importlib
import inspect
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import translation

from enrollment.models import EnrollmentEvent
from tests.accounts.test_registration import signup_data
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

# The library modules whose messages reach the portal's pages and the office's admin.
LIBRARY_MODULES = [
    "django.contrib.auth.password_validation",
    "django.contrib.auth.forms",
    "django.core.validators",
    "django.forms.fields",
    "django.forms.models",
    "allauth.account.forms",
    "allauth.account.adapter",
    "allauth.mfa.base.forms",
    "allauth.mfa.totp.forms",
    "allauth.mfa.adapter",
]
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy"}
ENGLISH = re.compile(
    r"\b(this|the|must|enter|ensure|field is|required|characters|please|already|at least|at most|too short|"
    r"invalid|is not|does not|you|your)\b",
    re.IGNORECASE,
)


def _library_msgids(module_name: str) -> list[tuple[str, str | None]]:
    """(singular, plural) of every literal message the module marks for translation."""
    tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name in GETTEXT and texts:
            found.append((texts[0], texts[1] if name.startswith("ngettext") and len(texts) > 1 else None))
    return found


@pytest.mark.parametrize("module_name", LIBRARY_MODULES)
def test_every_library_sentence_has_an_italian_translation(module_name):
    with translation.override("it"):
        untranslated = [
            singular
            for singular, plural in _library_msgids(module_name)
            if len(singular.split()) >= 3
            and (
                translation.ngettext(singular, plural, 2) == plural
                if plural
                else translation.gettext(singular) == singular
            )
        ]
    assert untranslated == [], "add them to locale/it/LC_MESSAGES/django.po"


def _errors_text(response) -> str:
    """The visible text of the page's error messages (field errors, summaries, alerts)."""
    body = response.content.decode()
    chunks = re.findall(
        r'<(?:div|span|ul|p|li)[^>]*class="[^"]*(?:invalid-feedback|errorlist|alert)[^"]*"[^>]*>(.*?)</(?:div|span|ul|p|li)>',
        body,
        re.S,
    )
    return html.unescape(re.sub(r"<[^>]+>", " ", " ".join(chunks)))


FORMS = {
    "signup, short password and bad e-mail": (
        "account_signup",
        lambda: signup_data(password1="abc", password2="abc", email="non-una-mail"),
    ),
    "signup, passwords differ": ("account_signup", lambda: signup_data(password2="Diversa-Password-2026")),
    "signup, nothing typed": ("account_signup", dict),
    "login, wrong password": ("account_login", lambda: {"login": "nessuno@example.it", "password": "sbagliata"}),
    "password reset, bad e-mail": ("account_reset_password", lambda: {"email": "non-una-mail"}),
}


@pytest.mark.parametrize("name", list(FORMS))
def test_the_forms_errors_are_italian(client, legal_documents, name):
    url_name, data = FORMS[name]
    response = client.post(reverse(url_name), data())
    text = _errors_text(response)
    assert text.strip(), "no error shown"
    assert not ENGLISH.search(text), text


PARENT_FORMS = {
    "password change": (
        "account_change_password",
        {"oldpassword": "sbagliata", "password1": "corta", "password2": "x"},
    ),
    "add a child": ("accounts:child_add", {"codice_fiscale": "XYZ", "first_name": "", "last_name": ""}),
    "profile": ("accounts:profile_edit", {"first_name": "", "last_name": "", "phone": "abc"}),
    "top-up": ("payments:topup", {"amount": "mille"}),
    "e-mail": ("account_email", {"action_add": "", "email": "non-una-mail"}),
}


@pytest.mark.parametrize("name", list(PARENT_FORMS))
def test_a_parents_forms_errors_are_italian(parent_client, name):
    url_name, data = PARENT_FORMS[name]
    response = parent_client.post(reverse(url_name), data)
    text = _errors_text(response)
    assert text.strip(), "no error shown"
    assert not ENGLISH.search(text), text


ITALIAN_AS_ENGLISH = {"codice fiscale", "causale", "password", "email"}


def _auto_named(field) -> bool:
    """A field whose verbose name Django made from its attribute name (so English, unless the name is Italian)."""
    derived = field.name.replace("_", " ")
    return str(field.verbose_name) == derived and derived not in ITALIAN_AS_ENGLISH


def test_every_admin_column_and_model_the_office_sees_has_an_italian_name():
    problems = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in {"mockpsp"}:
            continue
        name = str(model._meta.verbose_name_plural)
        if name == f"{model._meta.object_name.lower()}s" and model._meta.app_label not in {"auth", "sites"}:
            problems.append(f"{model._meta.label}: model name {name!r}")
        for column in model_admin.list_display:
            if not isinstance(column, str):
                continue
            try:
                field = model._meta.get_field(column)
            except Exception:  # noqa: S112 - a method or a callable: its description is checked where it is written
                continue
            if isinstance(field, models.Field) and _auto_named(field):
                problems.append(f"{model._meta.label}.{column}")
    assert problems == []


def test_the_admin_index_and_a_change_list_read_in_italian(client, legal_documents):
    office = make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="ufficio@example.it",
        documents=legal_documents,
        is_staff=True,
        is_superuser=True,
    )

    TOTP.activate(office, generate_totp_secret())
    client.force_login(office)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Authenticators" not in index
    assert "Dispositivi di verifica (TOTP)" in index
    carts = client.get(reverse("admin:payments_cart_changelist")).content.decode()
    assert "UPDATED AT" not in carts.upper().replace("AGGIORNATO IL", "")


def test_a_history_row_reads_its_action_in_italian():
    event = EnrollmentEvent(action="draft_started")
    assert str(event).startswith("bozza iniziata — ")


@pytest.mark.parametrize(("language", "expected"), [("it", "it"), ("en", "en")])
def test_the_page_says_its_own_language(client, language, expected):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body = client.get(reverse("home")).content.decode()
    assert f'<html lang="{expected}">' in body
    assert '<main id="main" tabindex="-1">' in body  # no inner lang: the document's is the page's


def test_a_password_too_short_says_so_in_italian(client, legal_documents):
    response = client.post(reverse("account_signup"), signup_data(password1="Abc-12", password2="Abc-12"))
    assert "Questa password è troppo corta: deve contenere almeno 10 caratteri." in html.unescape(
        response.content.decode()
    )
    assert PASSWORD
