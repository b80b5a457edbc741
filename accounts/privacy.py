"""The user's privacy rights (GDPR): a copy of their data, and the request to delete their account.

The data come from the portal-wide registry (portal.privacy): accounts registers its exporter and its
retention check at the bottom of this module. The office handles deletion requests: the account is
deleted, or anonymised when a retention check says the records must be kept (or other rows still point
at it).
"""

import io
import json
import zipfile

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone, translation
from django.utils.translation import gettext

from portal.privacy import (
    ExportJSONEncoder,
    personal_data_collect,
    register_exporter,
    register_retention_check,
    retention_reasons,
)

from .errors import DeletionRequestNotAllowedError, DeletionRequestNoUserError, DeletionRequestPendingError
from .models import Consent, DeletionRequest, FamilyEvent, Guardianship, Invitation, User
from .selectors import invitation_status
from .services import family_event_record, family_summary_invalidate

EXPORT_JSON_NAME = "dati.json"
EXPORT_README_NAME = "LEGGIMI.txt"
ANONYMOUS_FIRST_NAME = "Utente"
ANONYMOUS_LAST_NAME = "anonimizzato"

# Stored in the family log as written (the log reads the same whatever the actor's language).
REASON_ACCOUNT_CLOSED = "Account dell'adulto chiuso su sua richiesta (diritto alla cancellazione)."

EXPORT_README = """Copia dei tuoi dati personali — {comune}, portale dei servizi scolastici
Generata il {when}.

Il file dati.json contiene, in formato JSON (leggibile con un editor di testo o un foglio di calcolo),
tutti i dati che il portale conserva su di te, divisi per sezione:
- profilo: codice fiscale, nome, cognome, e-mail, telefono, date di registrazione e di ultimo accesso;
- indirizzi_email: gli indirizzi collegati all'account e se sono verificati;
- consensi: le versioni delle condizioni d'uso e dell'informativa privacy che hai accettato, con la data;
- tutele: i bambini per cui puoi agire (o hai agito), con il tuo ruolo e, per quelli attuali, i loro dati;
- inviti_inviati e inviti_ricevuti: gli inviti a diventare delegato;
- eventi_famiglia: il registro delle modifiche che ti riguardano (chi, cosa, quando);
- richieste_di_cancellazione: le tue richieste di cancellazione dell'account e il loro esito;
- iscrizioni: le domande di iscrizione ai servizi che hai fatto o che riguardano i tuoi figli, con i dati
  dichiarati (ISEE, dieta, trasporto) e il loro stato; il valore ISEE, il protocollo DSU e i dati sanitari
  della dieta solo per le domande che hai inviato tu o dei bambini di cui sei l'adulto di riferimento;
- pagamenti: gli avvisi di cui sei il pagatore e le ricevute dei tuoi pagamenti.

Le date sono nel formato internazionale AAAA-MM-GG (gli orari con il fuso orario).
Per correggere un dato o per qualsiasi domanda scrivi all'ufficio scuola: {email}.
"""


# --- what accounts knows about a user -------------------------------------------------------------------


def _child_name(child) -> str:
    return f"{child.first_name} {child.last_name}" if child is not None else ""


def _invitation_data(invitation: Invitation, **who) -> dict:
    """An invitation in the export: who it is from or to (`who`), for which children, and how it went."""
    return {
        **who,
        "bambini": [_child_name(child) for child in invitation.children.all()],
        "creato_il": invitation.created_at,
        "scade_il": invitation.expires_at,
        "accettato_il": invitation.accepted_at,
        "annullato_il": invitation.revoked_at,
        "stato": invitation_status(invitation),
    }


def accounts_personal_data(user: User) -> dict:
    """Profile, e-mail addresses, consents, guardianships (with the children's data while active),
    invitations sent and received, the family events about the user, and their deletion requests."""
    guardianships = Guardianship.objects.filter(adult=user).select_related("child", "child__school", "granted_by")
    sent = Invitation.objects.filter(inviter=user).prefetch_related("children")
    received = (
        Invitation.objects.filter(Q(codice_fiscale=user.codice_fiscale) | Q(accepted_by=user))
        .select_related("inviter")
        .prefetch_related("children")
    )
    events = FamilyEvent.objects.filter(Q(actor=user) | Q(subject=user)).select_related("child", "actor", "subject")
    return {
        "profilo": {
            "codice_fiscale": user.codice_fiscale,
            "nome": user.first_name,
            "cognome": user.last_name,
            "email": user.email,
            "telefono": user.phone,
            "indirizzo_di_residenza": user.postal_address,
            "registrato_il": user.date_joined,
            "ultimo_accesso": user.last_login,
            "attivo": user.is_active,
        },
        "indirizzi_email": [
            {"email": address.email, "verificato": address.verified, "principale": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "consensi": [
            {
                "documento": consent.document.get_kind_display(),
                "titolo": consent.document.title,
                "versione": consent.document.version,
                "accettato_il": consent.accepted_at,
                "indirizzo_ip": consent.ip_address,
            }
            for consent in Consent.objects.filter(user=user).select_related("document").order_by("accepted_at")
        ],
        "tutele": [_guardianship_data(guardianship) for guardianship in guardianships.order_by("granted_at")],
        "inviti_inviati": [
            _invitation_data(
                invitation, email_invitato=invitation.email, codice_fiscale_invitato=invitation.codice_fiscale
            )
            for invitation in sent.order_by("created_at")
        ],
        "inviti_ricevuti": [
            _invitation_data(invitation, da=invitation.inviter.get_full_name(), email=invitation.email)
            for invitation in received.order_by("created_at")
        ],
        "eventi_famiglia": [
            {
                "azione": event.action,
                "descrizione": event.get_action_display(),
                "bambino": _child_name(event.child),
                "eseguito_da": event.actor.get_full_name() if event.actor else "",
                "adulto_interessato": event.subject.get_full_name() if event.subject else "",
                "motivo": event.reason,
                "quando": event.at,
            }
            for event in events.order_by("at", "pk")
        ],
        "richieste_di_cancellazione": [
            {
                "richiesta_il": request.requested_at,
                "motivo": request.reason,
                "stato": request.get_status_display(),
                "gestita_il": request.handled_at,
                "esito": request.outcome_note,
            }
            for request in DeletionRequest.objects.filter(user=user).order_by("requested_at")
        ],
    }


def _guardianship_data(guardianship: Guardianship) -> dict:
    child = guardianship.child
    data: dict = {
        "ruolo": guardianship.get_role_display(),
        "concessa_il": guardianship.granted_at,
        "concessa_da": guardianship.granted_by.get_full_name() if guardianship.granted_by else "",
        "revocata_il": guardianship.revoked_at,
    }
    if guardianship.revoked_at is None:
        data["bambino"] = {
            "codice_fiscale": child.codice_fiscale,
            "nome": child.first_name,
            "cognome": child.last_name,
            "data_di_nascita": child.birth_date,
            "sesso": child.sex,
            "scuola": child.school.name if child.school else "",
            "classe": child.class_name,
        }
    else:  # no longer the user's to see: the name only, to make sense of the history
        data["bambino"] = {"nome": child.first_name, "cognome": child.last_name}
    return data


def accounts_retention_reason(user: User) -> str | None:
    """Whoever acted for a child stays in the children's records: anonymised, never deleted."""
    if Guardianship.objects.filter(Q(adult=user) | Q(granted_by=user) | Q(revoked_by=user)).exists():
        return gettext(
            "Hai agito per uno o più bambini: il Comune deve conservare il registro di chi è stato autorizzato "
            "ad agire per loro. Per questo il tuo account sarà anonimizzato (nome, codice fiscale, e-mail e "
            "telefono cancellati, accesso disattivato) invece di essere eliminato."
        )
    return None


# --- services --------------------------------------------------------------------------------------------


def personal_data_export(*, user: User) -> bytes:
    """A ZIP with `dati.json` (every registered section, indent 2, ISO dates) and a short LEGGIMI.txt."""
    now = timezone.now()
    document = {
        "portale": settings.PORTAL_COMUNE_NAME,
        "generato_il": now,
        "codice_fiscale": user.codice_fiscale,
        "sezioni": personal_data_collect(user=user),
    }
    payload = json.dumps(document, cls=ExportJSONEncoder, indent=2, ensure_ascii=False)
    readme = EXPORT_README.format(
        comune=settings.PORTAL_COMUNE_NAME,
        when=timezone.localtime(now).strftime("%d/%m/%Y %H:%M"),
        email=settings.PORTAL_COMUNE_EMAIL,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(EXPORT_JSON_NAME, payload)
        archive.writestr(EXPORT_README_NAME, readme)
    return buffer.getvalue()


@transaction.atomic
def deletion_request_create(*, user: User, reason: str = "") -> DeletionRequest:
    """The user asks the office to delete their account: one pending request at a time."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # requests of one user, one at a time
    if DeletionRequest.objects.filter(user=user, status=DeletionRequest.Status.PENDING).exists():
        raise DeletionRequestPendingError
    try:
        with transaction.atomic():
            return DeletionRequest.objects.create(user=user, user_label=str(user)[:200], reason=(reason or "").strip())
    except IntegrityError as exc:  # the partial unique constraint, if a request slipped in meanwhile
        raise DeletionRequestPendingError from exc


@transaction.atomic
def deletion_request_handle(*, actor: User, request: DeletionRequest) -> DeletionRequest:
    """The office carries out a pending request: delete the account, or anonymise it when it must be kept.

    Anonymised when a retention check gives a reason, or when other records still point at the account
    (PROTECT foreign keys, e.g. the guardianships of a child). Handling a request twice does nothing.
    """
    if not (actor.is_active and actor.is_staff):
        raise DeletionRequestNotAllowedError
    request = DeletionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != DeletionRequest.Status.PENDING:
        return request
    if request.user_id is None:
        raise DeletionRequestNoUserError
    user = User.objects.select_for_update().get(pk=request.user_id)
    with translation.override(settings.LANGUAGE_CODE):  # the office's record, in the portal's language
        reasons = retention_reasons(user=user)
        notes: list[str] = []
        deleted = False
        if not reasons:
            notes += _guardianships_close(user=user, actor=actor)
            blocked = _user_delete(user)
            if blocked is None:
                deleted = True
            else:
                reasons = [
                    gettext("Non è stato possibile eliminare l'account perché altri dati vi fanno riferimento (%s).")
                    % blocked
                ]
        if deleted:
            request.user = None
            request.status = DeletionRequest.Status.DELETED
            notes.insert(0, gettext("Account eliminato con tutti i dati personali collegati."))
        else:
            notes = _user_anonymise(user=user, actor=actor) + notes
            request.status = DeletionRequest.Status.ANONYMISED
            notes.insert(
                0,
                gettext("Account anonimizzato invece che eliminato. Motivo: %s") % " ".join(reasons),
            )
    request.handled_by = actor
    request.handled_at = timezone.now()
    request.outcome_note = "\n".join(notes)
    request.save(update_fields=["status", "handled_by", "handled_at", "outcome_note"])
    return request


def _user_delete(user: User) -> str | None:
    """Delete the account; if protected rows point at it, keep it and say which (None: deleted)."""
    try:
        with transaction.atomic():
            user.delete()
    except (ProtectedError, RestrictedError) as exc:
        models = sorted({obj._meta.verbose_name_plural for obj in exc.args[1]})
        return ", ".join(str(name) for name in models)
    return None


def _guardianships_close(*, user: User, actor: User) -> list[str]:
    """Revoke the user's active guardianships; the notes say which children lost their adult of reference."""
    notes = []
    now = timezone.now()
    for guardianship in Guardianship.objects.select_for_update().filter(adult=user, revoked_at__isnull=True):
        guardianship.revoked_at = now
        guardianship.revoked_by = actor
        guardianship.save(update_fields=["revoked_at", "revoked_by"])
        is_reference = guardianship.role == Guardianship.Role.REFERENCE
        family_event_record(
            action=FamilyEvent.Action.REFERENCE_CHANGED if is_reference else FamilyEvent.Action.DELEGATE_REVOKED,
            child=guardianship.child,
            actor=actor,
            subject=None if is_reference else user,
            reason=REASON_ACCOUNT_CLOSED,
        )
        if is_reference:
            notes.append(
                gettext(
                    "%(child)s non ha più un adulto di riferimento: assegnane uno nuovo (cambio dell'adulto "
                    "di riferimento)."
                )
                % {"child": str(guardianship.child)}
            )
    family_summary_invalidate(user_ids=[user.pk])
    return notes


def _user_anonymise(*, user: User, actor: User) -> list[str]:
    """Keep the row, remove the person: names, e-mail, CF, phone, password, addresses, access, guardianships."""
    notes = _guardianships_close(user=user, actor=actor)
    old_cf, old_email = user.codice_fiscale, user.email
    old_emails = {
        old_email.lower(),
        *(e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)),
    }
    placeholder_cf = f"ANON{user.pk:012d}"  # unique, and never a real CF (those start with six letters)
    placeholder_email = f"anonimo-{user.pk}@invalid.example"

    now = timezone.now()
    for invitation in Invitation.objects.select_for_update().filter(
        inviter=user, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        invitation.revoked_at = now
        invitation.save(update_fields=["revoked_at"])
    received = Invitation.objects.filter(Q(codice_fiscale=old_cf) | Q(accepted_by=user) | Q(email__in=old_emails))
    received.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    received.update(codice_fiscale=placeholder_cf, email=placeholder_email)

    EmailAddress.objects.filter(user=user).delete()
    try:
        from allauth.mfa.models import Authenticator
    except ImportError:  # pragma: no cover - allauth.mfa is installed in this project
        pass
    else:
        Authenticator.objects.filter(user=user).delete()

    user.first_name = ANONYMOUS_FIRST_NAME
    user.last_name = ANONYMOUS_LAST_NAME
    user.email = placeholder_email
    user.codice_fiscale = placeholder_cf
    user.phone = ""
    user.postal_address = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return notes


# --- selectors -------------------------------------------------------------------------------------------


def deletion_request_pending_for_user(*, user: User) -> DeletionRequest | None:
    return DeletionRequest.objects.filter(user=user, status=DeletionRequest.Status.PENDING).first()


def retention_reasons_for_user(*, user: User) -> list[str]:
    """Why the user's account would be anonymised rather than deleted (empty: it would be deleted)."""
    return retention_reasons(user=user)


register_exporter("famiglie_e_accessi", accounts_personal_data)
register_retention_check("famiglie_e_accessi", accounts_retention_reason)
