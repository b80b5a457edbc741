"""Demo people: the Comune's legal documents, one office user, two parents and their children, and a family
imported from the Comune's records waiting for its parent to register. Idempotent."""

import datetime
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import services
from accounts.groups import OFFICE_GROUP_WITH_HEALTH_DATA
from accounts.models import Child, ImportedAdult, LegalDocument, User
from enrollment.models import School

DEMO_PASSWORD = "Scuola-Demo-2026"  # noqa: S105 - a published demo credential, never a real one


@dataclass(frozen=True)
class DemoPerson:
    codice_fiscale: str
    first_name: str
    last_name: str
    email: str
    is_staff: bool = False
    school_staff: bool = False  # a school's secretary (Pagamenti della scuola), not the office


DEMO_CHILDREN: list[tuple[str, dict[str, Any]]] = [
    (
        "RSSMRA85C52H501N",
        {
            "codice_fiscale": "RSSGLI18C52H501V",
            "first_name": "Giulia",
            "last_name": "Rossi",
            "birth_date": datetime.date(2018, 3, 12),
            "sex": "F",
        },
    ),
    (
        "RSSMRA85C52H501N",
        {
            "codice_fiscale": "RSSMRC20P05H501X",
            "first_name": "Marco",
            "last_name": "Rossi",
            "birth_date": datetime.date(2020, 9, 5),
            "sex": "M",
        },
    ),
    (
        "BNCLCU82L04F205H",
        {
            "codice_fiscale": "BNCSFO19A61F205Y",
            "first_name": "Sofia",
            "last_name": "Bianchi",
            "birth_date": datetime.date(2019, 1, 21),
            "sex": "F",
        },
    ),
]

DEMO_STAFF = DemoPerson("VRDGLI79P61A944R", "Giulia", "Verdi", "ufficio.scuola@demo.example.it", is_staff=True)
DEMO_SECRETARY = DemoPerson(
    "NREPLA75D45H501B", "Paola", "Neri", "segreteria.rodari@demo.example.it", school_staff=True
)
DEMO_PARENTS = [
    DemoPerson("RSSMRA85C52H501N", "Maria", "Rossi", "maria.rossi@demo.example.it"),
    DemoPerson("BNCLCU82L04F205H", "Luca", "Bianchi", "luca.bianchi@demo.example.it"),
]

TERMS_BODY = """Il portale dei servizi scolastici è messo a disposizione dal Comune per iscrivere i figli ai servizi
di mensa, trasporto e asilo nido, pagare le tariffe con pagoPA e scaricare ricevute e attestazioni.

Chi si registra dichiara che i dati inseriti sono veri e si impegna a tenerli aggiornati. Le credenziali sono
personali: non vanno comunicate ad altri.

Il Comune può sospendere il servizio per manutenzione, dandone avviso quando possibile."""

PRIVACY_BODY = """Titolare del trattamento è il Comune. I dati personali (codice fiscale, nome, cognome, e-mail,
telefono) sono trattati per gestire le iscrizioni ai servizi scolastici e i relativi pagamenti, in base
all'art. 6, par. 1, lett. e) del Regolamento (UE) 2016/679.

I dati sono conservati per il tempo necessario agli obblighi di legge (fiscali e contabili) e non sono
comunicati a terzi, salvo ai gestori dei servizi (scuole, centri cottura, trasporto) per quanto
indispensabile. Puoi chiedere accesso, rettifica o cancellazione scrivendo all'ufficio scuola."""


def people_seed() -> dict[str, User]:
    """The documents, every demo person (with consents) and the children; the users by codice fiscale."""
    documents = [
        _document(LegalDocument.Kind.TERMS, "Condizioni d'uso del portale", TERMS_BODY),
        _document(LegalDocument.Kind.PRIVACY, "Informativa sul trattamento dei dati personali", PRIVACY_BODY),
    ]
    users = {}
    for person in [DEMO_STAFF, DEMO_SECRETARY, *DEMO_PARENTS]:
        users[person.codice_fiscale] = _person(person)
        services.consent_accept(user=users[person.codice_fiscale], documents=documents, ip_address=None)
    for parent_cf, child in DEMO_CHILDREN:
        if not Child.objects.filter(codice_fiscale=child["codice_fiscale"]).exists():
            services.child_add(adult=users[parent_cf], **child)
    _imported_family()
    return users


def _imported_family() -> None:
    """A family the Comune already had, waiting for its parent to register with the letter's code."""
    school, _ = School.objects.get_or_create(
        ministry_code="RMEE00101X",
        defaults={"name": "Scuola primaria Gianni Rodari", "kind": School.Kind.PRIMARIA, "address": "Via dei Pini 3"},
    )
    adult, _ = ImportedAdult.objects.get_or_create(
        codice_fiscale="FRRCHR84L61F205A", defaults={"first_name": "Chiara", "last_name": "Ferrari"}
    )
    for cf, first_name, birth_date, sex in [
        ("FRRTMS16P03F205C", "Tommaso", datetime.date(2016, 9, 3), "M"),
        ("FRRLCA19B54F205W", "Alice", datetime.date(2019, 2, 14), "F"),
    ]:
        Child.objects.get_or_create(
            codice_fiscale=cf,
            defaults={
                "first_name": first_name,
                "last_name": "Ferrari",
                "birth_date": birth_date,
                "sex": sex,
                "school": school,
                "class_name": "3A" if first_name == "Tommaso" else "",
                "imported_from": adult,
            },
        )


def _document(kind: str, title: str, body: str) -> LegalDocument:
    document, _ = LegalDocument.objects.get_or_create(
        kind=kind, version="2026.1", defaults={"title": title, "body": body}
    )
    if document.published_at is None:
        document = services.legal_document_publish(document=document, when=timezone.now())
    return document


def _person(person: DemoPerson) -> User:
    user = User.objects.filter(codice_fiscale=person.codice_fiscale).first()
    if user is None:
        user = User.objects.create_user(
            person.codice_fiscale,
            person.email,
            DEMO_PASSWORD,
            first_name=person.first_name,
            last_name=person.last_name,
            is_staff=person.is_staff,
        )
    if person.is_staff:
        # A clerk as a Comune would set one up: a member of the office's group (created by a migration), not a
        # superuser who would see the fake platform, the sites and the groups themselves.
        user.is_superuser = False
        user.save(update_fields=["is_superuser"])
        user.groups.add(Group.objects.get(name=OFFICE_GROUP_WITH_HEALTH_DATA))
    EmailAddress.objects.update_or_create(user=user, email=person.email, defaults={"verified": True, "primary": True})
    return user
