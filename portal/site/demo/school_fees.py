"""The demo's school as a creditor of its own: the Istituto comprensivo of the Rodari primary school (its fiscal
code, IBAN, segregation code and taxonomy codes are demo values), its secretary, and two events already issued (a
trip for two classes, a voluntary contribution per family whose amount families choose), so the schools' pages
and the parents' mixed notices can be seen at once."""

import contextlib
import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from enrollment.models import SchoolClass, SchoolStaff
from payments.models import Creditor, CreditorSchool, SchoolPaymentEvent
from payments.services import school_events

# Demo values: a fiscal code whose check digit is right, a demo IBAN with right check digits, codes of the pagoPA
# taxonomy's shape (9/nnnnnnnXX/). A Comune enters the istituto's own in the admin.
DEMO_CREDITOR = {
    "name": "Istituto comprensivo Gianni Rodari",
    "fiscal_code": "80012345676",
    "office": "Segreteria amministrativa",
    "iban": "IT13L0306909606100000012345",
    "segregation_code": 7,
    "taxonomy": {
        "contribution": "9/0201133IM/",
        "insurance": "9/0201134IM/",
        "trip": "9/0201135IM/",
        "other": "9/0201136IM/",
    },
}


@transaction.atomic
def school_fees_seed(*, secretary: User, setup: dict) -> None:
    school = setup["schools"]["RMEE00101X"]
    creditor, _ = Creditor.objects.get_or_create(
        fiscal_code=DEMO_CREDITOR["fiscal_code"],
        defaults={k: v for k, v in DEMO_CREDITOR.items() if k != "fiscal_code"},
    )
    CreditorSchool.objects.get_or_create(school=school, defaults={"creditor": creditor})
    staff, _ = SchoolStaff.objects.get_or_create(user=secretary)
    staff.schools.add(school)
    if SchoolPaymentEvent.objects.filter(school=school).exists():
        return
    classes = list(SchoolClass.objects.filter(school=school, name__in=["1B", "2A"]).values_list("pk", flat=True))
    draft = school_events.EventDraft(
        school=school,
        year=setup["running"],
        title="Uscita al Museo di Scienze",
        kind="trip",
        amount="12.50",
        due_date=timezone.localdate() + datetime.timedelta(days=21),
        target="classes",
        class_ids=classes,
        note="Partenza alle 8:30 dalla scuola, rientro per l'ora di pranzo.",
    )
    contribution = school_events.EventDraft(
        school=school,
        year=setup["running"],
        title="Contributo volontario 2026/2027",
        kind="contribution",
        amount="30.00",
        due_date=timezone.localdate() + datetime.timedelta(days=45),
        voluntary=True,
        per_family=True,
        free_amount=True,
        target="school",
        note="Serve per i materiali dei laboratori e le uscite sul territorio. Grazie a chi potrà contribuire.",
    )
    for event in (draft, contribution):
        # No demo pupil in those classes this year: nothing issued, the secretary creates one from the page.
        with contextlib.suppress(school_events.EventDataError):
            school_events.school_event_create(draft=event, actor=secretary)
