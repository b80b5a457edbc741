"""Demo data for the embedded default and for screenshots: idempotent, printed credentials."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from . import services
from .models import LegalDocument, User

DEMO_PASSWORD = "Scuola-Demo-2026"  # noqa: S105 - a published demo credential, never a real one


@dataclass(frozen=True)
class DemoPerson:
    codice_fiscale: str
    first_name: str
    last_name: str
    email: str
    is_staff: bool = False


DEMO_STAFF = DemoPerson("VRDGLI79P61A944R", "Giulia", "Verdi", "ufficio.scuola@demo.example.it", is_staff=True)
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


@transaction.atomic
def seed_demo() -> list[DemoPerson]:
    documents = [
        _document(LegalDocument.Kind.TERMS, "Condizioni d'uso del portale", TERMS_BODY),
        _document(LegalDocument.Kind.PRIVACY, "Informativa sul trattamento dei dati personali", PRIVACY_BODY),
    ]
    people = [DEMO_STAFF, *DEMO_PARENTS]
    for person in people:
        user = _person(person)
        services.consent_accept(user=user, documents=documents, ip_address=None)
    services.legal_documents_cache_clear()
    return people


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
            is_superuser=person.is_staff,
        )
    EmailAddress.objects.update_or_create(user=user, email=person.email, defaults={"verified": True, "primary": True})
    return user
