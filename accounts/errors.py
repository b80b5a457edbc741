"""accounts' domain errors: every refusal of a family rule or a privacy request.

Each derives from portal.errors.DomainError: str(error) is the message for the user, in their language, and
`field` names the form field it belongs to, if any (portal.errors.form_error_add puts it there).
"""

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.errors import DomainError

# --- family rules ---------------------------------------------------------------------------------------


class FamilyRuleError(DomainError):
    """A family rule refused the action; str(error) is the message for the user, in their language."""


class ChildAlreadyKnownError(FamilyRuleError):
    """The CF is already in the portal: never attached by a parent, whoever it belongs to (nothing revealed)."""

    default_message = _(
        "Questo codice fiscale è già presente nel portale, collegato a un altro adulto. Per motivi di "
        "riservatezza non possiamo aggiungerlo qui: l'adulto di riferimento del bambino può invitarti "
        "come delegato, oppure l'ufficio scuola può spostare il riferimento su di te (ad esempio per "
        "genitori separati). Se hai ricevuto una lettera di attivazione dal Comune, usa il codice "
        "della lettera."
    )


class CodiceFiscaleMismatchError(FamilyRuleError):
    def __init__(self, fields: list[str]) -> None:
        self.fields = fields
        super().__init__(", ".join(fields))


# --- delegates and invitations -----------------------------------------------------------------------------


class InvitationError(FamilyRuleError):
    """A refusal about delegates; `field` names the form field the message belongs to, if any."""


class NotAllowedError(InvitationError):
    """The actor may not touch this invitation, delegation or child (pages answer 404)."""

    default_message = _("Non puoi eseguire questa operazione.")


class NotReferenceError(InvitationError):
    default_message = _("Solo l'adulto di riferimento di ciascun bambino scelto può invitare un altro adulto.")


class NoChildrenError(InvitationError):
    default_message = _("Scegli almeno un bambino.")
    field = "children"


class InvitationCodiceFiscaleError(InvitationError):
    field = "codice_fiscale"


class InvitationEmailError(InvitationError):
    default_message = _("Scrivi un indirizzo e-mail valido.")
    field = "email"


class SelfInvitationError(InvitationError):
    default_message = _(
        "Non puoi invitare te stesso: scrivi il codice fiscale e l'indirizzo e-mail dell'altro adulto."
    )


class AlreadyGuardianError(InvitationError):
    default_message = _("Questo adulto può già agire per tutti i bambini che hai scelto.")


class EmailBelongsToAnotherAccountError(InvitationError):
    default_message = _(
        "Questo indirizzo e-mail appartiene a un altro account: controlla il codice fiscale o usa un altro indirizzo."
    )
    field = "email"


class InvitationNotFoundError(InvitationError):
    default_message = _("Invito non trovato: controlla di aver aperto il collegamento completo ricevuto per e-mail.")


class InvitationWrongPersonError(InvitationError):
    default_message = _(
        "Questo invito è destinato a un altro codice fiscale: per accettarlo accedi con l'account del codice "
        "fiscale invitato."
    )


class InvitationExpiredError(InvitationError):
    default_message = _("Questo invito è scaduto: chiedi a chi ti ha invitato di inviarne uno nuovo.")


class InvitationAlreadyAcceptedError(InvitationError):
    default_message = _("Questo invito è già stato accettato.")


class InvitationDeclinedError(InvitationError):
    default_message = _(
        "Hai rifiutato questo invito: se hai cambiato idea, chiedi a chi ti ha invitato di inviarne uno nuovo."
    )


class InvitationRevokedError(InvitationError):
    default_message = _("Questo invito è stato annullato da chi l'ha inviato.")


class InvitationNoLongerValidError(InvitationError):
    default_message = _(
        "Chi ti ha invitato non è più l'adulto di riferimento dei bambini indicati: l'invito non è più valido."
    )


class ReferenceUnchangedError(InvitationError):
    default_message = _("Questo adulto è già l'adulto di riferimento del bambino.")


class InactiveAdultError(InvitationError):
    default_message = _("L'account di questo adulto non è attivo.")


# --- activation of imported families -----------------------------------------------------------------------


class ActivationCodeError(FamilyRuleError):
    """The code was refused; str(error) says why, without revealing whose code it might be."""


class ActivationCodeInvalidError(ActivationCodeError):
    def __init__(self) -> None:
        super().__init__(
            gettext(
                "Il codice non è valido: controlla di averlo copiato bene dalla lettera e di esserti registrato "
                "con il codice fiscale stampato sulla lettera."
            )
        )


class ActivationCodeExpiredError(ActivationCodeError):
    def __init__(self) -> None:
        super().__init__(gettext("Il codice è scaduto. Chiedi all'ufficio scuola una nuova lettera di attivazione."))


class ActivationAlreadyClaimedError(ActivationCodeError):
    def __init__(self) -> None:
        super().__init__(gettext("I figli indicati nella lettera sono già collegati al tuo account."))


class ActivationRateLimitedError(ActivationCodeError):
    def __init__(self) -> None:
        super().__init__(
            gettext(
                "Hai inserito troppi codici sbagliati. Per sicurezza riprova tra un'ora o contatta l'ufficio scuola."
            )
        )


class ImportedFamilyAlreadyClaimedError(FamilyRuleError):
    """The office asked a letter for a family that is already linked to its account."""


# --- privacy -----------------------------------------------------------------------------------------------


class PrivacyError(DomainError):
    """A privacy request was refused; str(error) is the message for the user, in their language."""


class DeletionRequestPendingError(PrivacyError):
    default_message = _(
        "Hai già una richiesta di cancellazione in attesa: l'ufficio scuola la sta esaminando. "
        "Non serve inviarne un'altra."
    )


class DeletionRequestNotAllowedError(PrivacyError):
    default_message = _("Solo il personale dell'ufficio può gestire le richieste di cancellazione.")


class DeletionRequestNoUserError(PrivacyError):
    default_message = _("L'account di questa richiesta non esiste più.")


# --- staff two-factor set-up ---------------------------------------------------------------------------


class StaffMfaCodeError(DomainError):
    """The code e-mailed to a staff user before activating TOTP was refused (or could not be sent)."""

    field: str | None = "code"


class StaffMfaEmailMissingError(StaffMfaCodeError):
    default_message = _(
        "Il tuo account non ha un indirizzo e-mail verificato a cui inviare il codice: chiedi a un amministratore "
        "del portale di verificarlo, poi riprova."
    )
    field = None


class StaffMfaSendLimitError(StaffMfaCodeError):
    default_message = _("Hai chiesto troppi codici. Per sicurezza attendi 15 minuti prima di chiederne un altro.")
    field = None


class StaffMfaCodeExpiredError(StaffMfaCodeError):
    default_message = _("Il codice è scaduto o non è più valido: chiedine uno nuovo.")


class StaffMfaCodeTooManyError(StaffMfaCodeError):
    default_message = _("Troppi tentativi sbagliati: il codice non vale più. Chiedine uno nuovo.")


class StaffMfaCodeWrongError(StaffMfaCodeError):
    def __init__(self, *, attempts_left: int) -> None:
        super().__init__(
            ngettext(
                "Il codice non è corretto. Ti resta %(count)d tentativo.",
                "Il codice non è corretto. Ti restano %(count)d tentativi.",
                attempts_left,
            )
            % {"count": attempts_left}
        )
