"""The kitchen's own system posting attendance: a token per school that the office issues and revokes (only its
SHA-256 is kept), and every call logged."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import School


class KitchenToken(models.Model):
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="kitchen_tokens", verbose_name=_("scuola")
    )
    name = models.CharField(_("nome"), max_length=100, help_text=_("Chi lo usa, ad esempio «Cucina centrale Rossi»."))
    prefix = models.CharField(_("inizio del codice"), max_length=8, editable=False)
    token_sha256 = models.CharField(_("impronta del codice"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("emesso da"),
    )
    created_at = models.DateTimeField(_("emesso il"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revocato il"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("ultimo uso"), null=True, blank=True)

    class Meta:
        verbose_name = _("codice d'accesso della cucina")
        verbose_name_plural = _("codici d'accesso delle cucine")
        ordering = ["school__name", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class KitchenApiCall(models.Model):
    token = models.ForeignKey(
        KitchenToken, on_delete=models.PROTECT, null=True, blank=True, related_name="calls", verbose_name=_("codice")
    )
    remote_addr = models.GenericIPAddressField(_("indirizzo"), null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(_("esito HTTP"))
    rows = models.PositiveIntegerField(_("righe"), default=0)
    row_errors = models.PositiveIntegerField(_("righe con errori"), default=0)
    detail = models.CharField(_("dettaglio"), max_length=200, blank=True)
    batch = models.ForeignKey(
        "canteen.AttendanceBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("file"),
    )
    at = models.DateTimeField(_("il"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("chiamata della cucina")
        verbose_name_plural = _("chiamate delle cucine")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%d/%m/%Y %H:%M} {self.status_code}"
