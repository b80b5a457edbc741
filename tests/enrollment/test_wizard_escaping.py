"""Help texts are escaped unless built as HTML on purpose (issue 11, finding 2: a certificate's hostile file name)."""

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import Guardianship

from .helpers import DETAILS, PDF, post_step, step_url

HOSTILE = "<img src=x onerror=alert(1)>.pdf"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;.pdf"


@pytest.mark.django_db
def test_a_hostile_certificate_name_is_escaped_for_the_parent_and_the_other_adult(
    at_diet, parent_client, other_parent, giulia
):
    upload = SimpleUploadedFile(HOSTILE, PDF, content_type="application/pdf")
    data = {"diet": "medical", "medical_details": DETAILS, "certificate": upload}
    post_step(parent_client, at_diet, "dieta", data, expect_next="riepilogo")
    Guardianship.objects.create(adult=other_parent, child=giulia, role=Guardianship.Role.DELEGATE)
    delegate_client = Client()
    delegate_client.force_login(other_parent)
    for who, client in [("parent", parent_client), ("delegate", delegate_client)]:
        response = client.get(step_url(at_diet, "dieta"))
        assert response.status_code == 200, who
        body = response.content.decode()
        assert "<img src=x" not in body, who
    assert f"Hai già caricato «{ESCAPED}»" in parent_client.get(step_url(at_diet, "dieta")).content.decode()
    # the delegate does not even get the name: the certificate is the reference adult's (issue 11, item 5)
    delegate_page = delegate_client.get(step_url(at_diet, "dieta")).content.decode()
    assert "onerror" not in delegate_page
    assert "già stato caricato da un altro adulto" in delegate_page


class _PlainHelp(forms.Form):
    note = forms.CharField(help_text="<b>Scritto</b> da <script>qualcuno</script>")
    agree = forms.BooleanField(help_text="<i>Leggi</i>")


@pytest.mark.parametrize("name", ["note", "agree"])
def test_the_form_field_partial_escapes_a_plain_help_text(name):
    html = render_to_string("partials/_form_field.html", {"field": _PlainHelp()[name]})
    assert "<b>" not in html
    assert "<i>" not in html
    assert "<script>" not in html
    assert "&lt;" in html


def test_the_radio_partial_escapes_a_plain_help_text():
    class Radio(forms.Form):
        pick = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect, help_text="<b>Scegli</b>")

    html = render_to_string("enrollment/_radio_field.html", {"field": Radio()["pick"]})
    assert "<b>" not in html
    assert "&lt;b&gt;Scegli&lt;/b&gt;" in html


def test_a_help_text_built_with_format_html_keeps_its_link():
    class Linked(forms.Form):
        agree = forms.BooleanField(help_text=format_html('<a href="{}">{}</a>', "/privacy/", "Leggi <l'informativa>"))

    html = render_to_string("partials/_form_field.html", {"field": Linked()["agree"]})
    assert '<a href="/privacy/">Leggi &lt;l&#x27;informativa&gt;</a>' in html


@pytest.mark.django_db
def test_the_signup_and_summary_links_still_render_as_links(legal_documents, at_diet, parent_client):
    signup = Client().get(reverse("account_signup")).content.decode()
    terms = reverse("accounts:terms")
    assert f'<a href="{terms}" target="_blank" rel="noopener">Leggi le condizioni d&#x27;uso</a>' in signup
    post_step(parent_client, at_diet, "dieta", {"diet": "none"}, expect_next="riepilogo")
    summary = parent_client.get(step_url(at_diet, "riepilogo")).content.decode()
    privacy = reverse("accounts:privacy")
    assert f'<a href="{privacy}" target="_blank" rel="noopener">Leggi l&#x27;informativa' in summary
