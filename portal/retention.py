"""The office's retention periods (portal.models.RetentionPolicy): the one row, the cut-off dates the purgers use,
and the sentences the privacy notice shows.

Each app purges its own records with `<entity>_purge(*, now, dry_run) -> int` (one transaction, nothing written
when dry_run, files deleted after commit); the site's `retention_purge` job and command call them all.
"""

import calendar
import datetime

from django.utils import timezone
from django.utils.translation import ngettext

from .models import RetentionPolicy


def retention_policy_current() -> RetentionPolicy:
    """The office's periods (the defaults until the office saves them)."""
    policy = RetentionPolicy.objects.filter(pk=1).first()
    return policy if policy is not None else RetentionPolicy(pk=1)


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def school_year_end_cutoff(*, now: datetime.datetime, months: int) -> datetime.date:
    """Records of a school year that ended before this day are past a period of `months` months (Europe/Rome)."""
    return months_before(timezone.localdate(now), months)


def retention_periods(policy: RetentionPolicy | None = None) -> list[str]:
    """The periods in the active language, one sentence each, for the privacy notice."""
    policy = policy or retention_policy_current()
    health, isee, days = policy.health_data_months, policy.isee_months, policy.unverified_account_days
    refused = policy.refused_call_days
    return [
        ngettext(
            "Diete per motivi di salute (indicazioni mediche e certificati): cancellate %(count)d mese dopo la "
            "fine dell'anno scolastico dell'iscrizione.",
            "Diete per motivi di salute (indicazioni mediche e certificati): cancellate %(count)d mesi dopo la "
            "fine dell'anno scolastico dell'iscrizione.",
            health,
        )
        % {"count": health},
        ngettext(
            "Valore ISEE e protocollo DSU: cancellati %(count)d mese dopo la fine dell'anno scolastico "
            "dell'iscrizione; restano la fascia ISEE e la tariffa applicata.",
            "Valore ISEE e protocollo DSU: cancellati %(count)d mesi dopo la fine dell'anno scolastico "
            "dell'iscrizione; restano la fascia ISEE e la tariffa applicata.",
            isee,
        )
        % {"count": isee},
        ngettext(
            "Account con l'indirizzo e-mail mai verificato: cancellati %(count)d giorno dopo la registrazione.",
            "Account con l'indirizzo e-mail mai verificato: cancellati %(count)d giorni dopo la registrazione.",
            days,
        )
        % {"count": days},
        ngettext(
            "Chiamate rifiutate al servizio che riceve le ricevute di pagamento (senza firma valida): se ne "
            "conservano impronta, lunghezza, primo kilobyte e indirizzo del mittente per %(count)d giorno.",
            "Chiamate rifiutate al servizio che riceve le ricevute di pagamento (senza firma valida): se ne "
            "conservano impronta, lunghezza, primo kilobyte e indirizzo del mittente per %(count)d giorni.",
            refused,
        )
        % {"count": refused},
    ]
