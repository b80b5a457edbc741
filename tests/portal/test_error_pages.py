"""The error pages a parent or a clerk can meet are the portal's, in Italian (Django's defaults are English)."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from accounts.models import Child, Guardianship

pytestmark = pytest.mark.django_db


def test_an_unknown_page_is_an_italian_404(client):
    page = client.get("/non-esiste/")
    assert page.status_code == 404
    body = page.content.decode()
    assert "Pagina non trovata" in body
    assert "Not Found" not in body


def test_another_familys_child_is_the_same_italian_404(parent_client, other_parent):
    child = Child.objects.create(
        codice_fiscale="BNCGLI18C52H501S", first_name="Giulia", last_name="Bianchi", birth_date="2018-03-12", sex="F"
    )
    Guardianship.objects.create(
        adult=other_parent, child=child, role=Guardianship.Role.REFERENCE, granted_by=other_parent
    )
    page = parent_client.get(reverse("canteen:meals", kwargs={"child_id": child.pk}))
    assert page.status_code == 404
    assert "Pagina non trovata" in page.content.decode()


def test_a_forbidden_page_is_an_italian_403(client, legal_documents):
    from tests.conftest import make_user
    from tests.enrollment.helpers import signed_in

    clerk = make_user(
        codice_fiscale="VRDGLI79P61A944R", email="ufficio@example.it", documents=legal_documents, is_staff=True
    )
    page = signed_in(client, clerk).get(reverse("admin:spid_identityprovider_changelist"))
    assert page.status_code == 403
    assert "Accesso non consentito" in page.content.decode()


def test_an_expired_form_is_an_italian_csrf_page(parent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(parent)
    page = client.post(reverse("accounts:profile_edit"), {"first_name": "Maria"})
    assert page.status_code == 403
    body = page.content.decode()
    assert "Modulo scaduto" in body
    assert "CSRF verification failed" not in body


def test_the_500_page_is_italian_and_stands_alone():
    page = server_error(RequestFactory().get("/"))
    assert page.status_code == 500
    assert "Si è verificato un errore" in page.content.decode()
