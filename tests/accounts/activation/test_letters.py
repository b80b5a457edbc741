"""Imported families: the activation letters (PDF and admin action)."""

import datetime
import re
import subprocess

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory

from accounts import services
from accounts.letters import activation_letters_pdf, print_activation_letters
from accounts.models import FamilyEvent, ImportedAdult

from .conftest import (
    claim_with_a_new_letter,
    import_family,
)

# --- letters ----------------------------------------------------------------------------------


def poppler(tool: str, pdf: bytes, tmp_path, *args: str) -> str:
    """Run a poppler-utils command (pdfinfo, pdftotext) on the PDF; its standard output."""
    path = tmp_path / "letters.pdf"
    path.write_bytes(pdf)
    command = [tool, *args, str(path)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


def pdf_pages(pdf: bytes, tmp_path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)$", poppler("pdfinfo", pdf, tmp_path), re.MULTILINE).group(1))


def pdf_text(pdf: bytes, tmp_path) -> str:
    return poppler("pdftotext", pdf, tmp_path, "-layout")


def test_letters_pdf_one_page_per_family_with_code_and_children(rossi, bianchi, parent, staff, tmp_path):
    pdf = activation_letters_pdf(
        imported_adults=[rossi, bianchi], actor=staff, portal_url="https://scuola.example.it/account/signup/"
    )

    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf, tmp_path) == 2
    text = pdf_text(pdf, tmp_path)
    pages = text.split("\f")
    assert "Giulia Rossi" in pages[0]
    assert "Luca Rossi" in pages[0]
    assert "Sofia Bianchi" in pages[1]
    assert "Sofia" not in pages[0]
    assert "scuola.example.it/account/signup/" in text
    # The code printed on Maria Rossi's page is the one that works for her.
    code = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", pages[0]).group(1)
    assert services.imported_family_claim(user=parent, code=code)


def test_a_letter_with_many_children_stays_on_one_page(staff, tmp_path, legal_documents):
    family = import_family(
        codice_fiscale="BNCLCU82L04F205H",
        first_name="Luca",
        last_name="Bianchi Dell'Acqua",
        children=[
            (f"BNCXXX1{i}A01H501X", name, datetime.date(2010 + i, 1, 1), "F")
            for i, name in enumerate(["Sofia", "Anna", "Bianca", "Carla", "Dora", "Elena"])
        ],
    )
    pdf = activation_letters_pdf(imported_adults=[family], actor=staff)
    assert pdf_pages(pdf, tmp_path) == 1
    assert "Elena Bianchi Dell'Acqua" in pdf_text(pdf, tmp_path)


def test_a_failed_render_replaces_no_code(rossi, parent, staff, monkeypatch):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    monkeypatch.setattr("accounts.letters.render_to_string", lambda *args, **kwargs: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        activation_letters_pdf(imported_adults=[rossi], actor=staff)

    assert FamilyEvent.objects.filter(action=FamilyEvent.Action.LETTER_ISSUED).count() == 1
    assert services.imported_family_claim(user=parent, code=code)  # the letter already sent still works


def admin_request(user):
    request = RequestFactory().post("/admin/accounts/importedadult/")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_admin_action_returns_a_pdf_of_the_families_still_to_link(rossi, bianchi, parent, staff, tmp_path):
    claim_with_a_new_letter(rossi, parent, staff)
    modeladmin = admin.ModelAdmin(ImportedAdult, admin.site)
    request = admin_request(staff)

    response = print_activation_letters(modeladmin, request, ImportedAdult.objects.all())

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="lettere-attivazione-')
    assert pdf_pages(response.content, tmp_path) == 1  # the Rossi family is linked already
    assert "Sofia Bianchi" in pdf_text(response.content, tmp_path)
    assert "http://testserver/account/signup/" not in pdf_text(response.content, tmp_path)  # printed without scheme
    assert "testserver/account/signup/" in pdf_text(response.content, tmp_path)
    texts = [str(m) for m in get_messages(request)]
    assert any("1 famiglia esclusa" in t for t in texts), texts
    assert print_activation_letters.short_description == "Stampa lettere di attivazione"


def test_admin_action_with_nothing_to_print(rossi, parent, staff):
    claim_with_a_new_letter(rossi, parent, staff)
    request = admin_request(staff)
    response = print_activation_letters(
        admin.ModelAdmin(ImportedAdult, admin.site), request, ImportedAdult.objects.all()
    )
    assert response is None
    assert "Nessuna lettera da stampare." in [str(m) for m in get_messages(request)]
