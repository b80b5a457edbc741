"""Sentences read naturally with every service's name (issue 10, item 7): "al servizio di refezione scolastica",
never "che Refezione scolastica servirà" or "a Trasporto scolastico"."""

import pytest
from django.template.loader import render_to_string

from enrollment.models import ServiceKind
from enrollment.services import mails

from .factories import EnrollmentWindowFactory, ServiceFactory
from .helpers import page_text, start, step_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Refezione scolastica", "refezione scolastica"),
        ("Trasporto scolastico", "trasporto scolastico"),
        ("Asilo nido comunale", "asilo nido comunale"),
        ("CRE estivo", "CRE estivo"),
    ],
)
def test_a_services_name_inside_a_sentence(name, expected):
    assert ServiceFactory.build(name=name).name_in_sentence == expected


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (ServiceKind.CANTEEN, "Refezione scolastica"),
        (ServiceKind.TRANSPORT, "Trasporto scolastico"),
        (ServiceKind.NURSERY, "Asilo nido comunale"),
    ],
)
def test_the_school_step_and_the_emails_read_naturally_for_every_kind(
    parent_client, giulia, school, school_year, kind, name
):
    service = ServiceFactory(kind=kind, name=name, schools=[school])
    window = EnrollmentWindowFactory(service=service, school_year=school_year)
    draft = start(parent_client, giulia, window)
    phrase = name[0].lower() + name[1:]

    page = page_text(parent_client.get(step_url(draft, "scuola")))

    assert f"Scegli la scuola in cui Giulia userà il servizio di {phrase}" in page
    assert f"che {name} servirà" not in page
    body = render_to_string("emails/enrollment_accepted_message.txt", mails.email_context(draft))
    assert f"al servizio di {phrase} per l'anno scolastico" in body
