"""Enrollment in the portal-wide privacy registry (portal.privacy): the enrollments the user made or may see,
and why an account that sent enrollments must be anonymised rather than deleted.

An enrollment is an administrative application to the Comune (with self-declarations under DPR 445/2000):
the office keeps it, with who sent it, as long as the records of the service require.
"""

from django.db.models import Q

from portal.privacy import register_exporter, register_retention_check

from .models import Enrollment
from .selectors import enrollment_private_data_rule

RETENTION_REASON = (
    "Hai inviato domande di iscrizione ai servizi: sono atti amministrativi con dichiarazioni sostitutive che il "
    "Comune deve conservare, quindi l'account viene anonimizzato e non cancellato."
)


def enrollment_retention_reason(user) -> str | None:
    if user.pk is None:
        return None
    sent = Enrollment.objects.filter(Q(created_by=user) | Q(submitted_by=user)).exclude(status=Enrollment.Status.DRAFT)
    return RETENTION_REASON if sent.exists() else None


# Left out of a row for an adult who did not send the enrollment and is not the child's adult of reference (a
# delegate): the medical diet's details and certificate, the ISEE value, DSU protocol and expiry.
PRIVATE_KEYS = (
    "isee_valore",
    "isee_protocollo_dsu",
    "isee_scadenza",
    "dieta_medica_indicazioni",
    "dieta_medica_certificato",
)
PRIVATE_NOTE = (
    "Il valore ISEE, il protocollo DSU e i dati sanitari della dieta non sono inclusi: li ricevono solo l'adulto che "
    "ha inviato la domanda e l'adulto di riferimento del bambino."
)


def _row(enrollment: Enrollment, *, private: bool) -> dict:
    medical = getattr(enrollment, "medical_diet", None)
    row = {
        "protocollo": enrollment.protocol,
        "bambino": f"{enrollment.child.first_name} {enrollment.child.last_name}",
        "bambino_codice_fiscale": enrollment.child.codice_fiscale,
        "servizio": enrollment.service.name,
        "anno_scolastico": enrollment.school_year.name,
        "stato": enrollment.get_status_display(),
        "scuola": enrollment.school.name if enrollment.school else None,
        "classe": enrollment.school_class.name if enrollment.school_class else None,
        "residente": enrollment.resident,
        "isee_presentato": enrollment.isee_presented,
        "isee_valore": str(enrollment.isee_amount) if enrollment.isee_amount is not None else None,
        "isee_protocollo_dsu": enrollment.isee_protocol,
        "isee_scadenza": enrollment.isee_expires_on,
        "dieta": enrollment.get_diet_display(),
        "dieta_precisazione": enrollment.diet_note,
        "dieta_medica_indicazioni": medical.details if medical else None,
        "dieta_medica_certificato": bool(medical and medical.certificate),
        "linea": enrollment.route.name if enrollment.route else None,
        "fermata": enrollment.stop.name if enrollment.stop else None,
        "percorso": enrollment.get_direction_display() if enrollment.direction else None,
        "adulti_autorizzati_al_ritiro": enrollment.pickup_adults,
        "tariffa": str(enrollment.tariff_amount) if enrollment.tariff_amount is not None else None,
        "motivo_del_rifiuto": enrollment.rejection_reason,
        "creata_il": enrollment.created_at,
        "inviata_il": enrollment.submitted_at,
    }
    if not private:
        for key in PRIVATE_KEYS:
            del row[key]
        row["dati_riservati"] = PRIVATE_NOTE
    return row


def enrollment_personal_data(user) -> list[dict]:
    """Enrollments the user created or sent, and those of the children the user is a guardian of now; the medical
    details, certificate and ISEE data only where `enrollment_private_data_rule` allows them."""
    own = Q(created_by=user) | Q(submitted_by=user)
    family = Q(child__guardianships__adult=user, child__guardianships__revoked_at__isnull=True)
    enrollments = (
        Enrollment.objects.filter(own | family)
        .distinct()
        .select_related("child", "service", "school_year", "school", "school_class", "route", "stop", "medical_diet")
        .order_by("created_at", "pk")
    )
    private = enrollment_private_data_rule(user=user)
    return [_row(enrollment, private=private(enrollment)) for enrollment in enrollments]


register_exporter("iscrizioni", enrollment_personal_data)
register_retention_check("iscrizioni", enrollment_retention_reason)
