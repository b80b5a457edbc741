"""Errors of the fake platform: HTTP status, pagoPA-like fault code, a detail for the API, a message for people."""

from django.utils.translation import gettext_lazy as _

SCONOSCIUTO = "PAA_PAGAMENTO_SCONOSCIUTO"
DUPLICATO = "PAA_PAGAMENTO_DUPLICATO"
IN_CORSO = "PAA_PAGAMENTO_IN_CORSO"
SCADUTO = "PAA_PAGAMENTO_SCADUTO"
ANNULLATO = "PAA_PAGAMENTO_ANNULLATO"
SEMANTICA = "PAA_SEMANTICA"
SINTASSI = "PAA_SINTASSI_EXTRAXSD"
NON_MODIFICABILE = "PAA_POSIZIONE_NON_MODIFICABILE"

# What a person at the checkout or at the shop reads for each fault.
USER_MESSAGES = {
    SCONOSCIUTO: _("Avviso non trovato: controlla il codice avviso e il codice fiscale dell'ente."),
    DUPLICATO: _("Questo avviso risulta già pagato."),
    IN_CORSO: _("Un pagamento di questo avviso è già in corso."),
    SCADUTO: _("Questo avviso è scaduto e non si può più pagare."),
    ANNULLATO: _("Questo avviso è stato annullato dall'ente."),
    SEMANTICA: _("L'importo non corrisponde a quello dell'avviso."),
    SINTASSI: _("I dati dell'avviso non sono validi."),
    NON_MODIFICABILE: _("La posizione non si può modificare nel suo stato attuale."),
}


class MockFaultError(Exception):
    """A refusal of the fake platform, answered as ProblemJson {status, title, detail, faultCode}."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail

    @property
    def user_message(self) -> str:
        return str(USER_MESSAGES.get(self.code, self.detail))

    def as_json(self) -> dict:
        titles = {400: "Bad Request", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity"}
        return {
            "status": self.status,
            "title": titles.get(self.status, "Error"),
            "detail": self.detail,
            "faultCode": self.code,
        }


def bad_request(detail: str) -> MockFaultError:
    return MockFaultError(400, SINTASSI, detail)


def unknown(detail: str = "payment position or option not found") -> MockFaultError:
    return MockFaultError(404, SCONOSCIUTO, detail)
