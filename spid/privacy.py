"""What the portal knows of how a person entered (registered in the portal's privacy registry): each sign-in, its
method (SPID, CIE, password), level and identity provider. The SAML identifiers are technical and not exported."""

from portal.privacy import register_exporter

from .models import LoginRecord


def spid_personal_data(user) -> list[dict]:
    return [
        {
            "quando": record.at,
            "modo": record.get_method_display(),
            "livello": record.level,
            "identity_provider": record.idp,
        }
        for record in LoginRecord.objects.filter(user=user).order_by("at", "pk")
    ]


register_exporter("accessi", spid_personal_data)
