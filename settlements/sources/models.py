"""Where daily lists come from, and what two of them said differently about one settlement.

Each source (the published daily list, a partner's weekly sheet, DTM's site list) has its own
schedule, its own column mapping and its own latest list: a settlement one source drops stays on
the lists of the others. When two sources give different figures for a settlement within a few
days (`SOURCE_DISAGREEMENT_DAYS`), the newest list's figure stands until staff choose.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import PeriodicTask

from settlements.corrections.models import figure_choices, staff_member


class ListSource(models.Model):
    class Kind(models.TextChoices):
        URL = "url", _("published at a URL")
        UPLOAD = "upload", _("uploaded by staff")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        HXL = "hxl", "HXL"
        XLSX = "xlsx", "Excel (XLSX)"
        DOCX = "docx", "Word (DOCX)"
        JSON = "json", "JSON"

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.UPLOAD)
    url = models.URLField(
        _("URL"),
        max_length=500,
        blank=True,
        help_text=_("Where the list is published. For the default source, empty means SETTLEMENT_LIST_URL."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, blank=True)
    column_mapping = models.JSONField(
        _("column mapping"),
        default=dict,
        blank=True,
        help_text=_(
            'The list\'s header -> the field it fills, or "ignore". Headers not named here are read by '
            "AidTrack's vocabulary."
        ),
    )
    mapping_saved_by = staff_member(_("mapping saved by"))
    mapping_saved_at = models.DateTimeField(_("mapping saved at"), null=True, blank=True)
    required_columns = models.JSONField(
        _("required fields"),
        default=list,
        blank=True,
        help_text=_('The validation profile: fields each of its lists must have a column for, e.g. ["pcode"].'),
    )
    schedule = models.OneToOneField(
        PeriodicTask,
        verbose_name=_("schedule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="list_source",
        help_text=_("The periodic task that imports this source's list (edit its timing under Periodic tasks)."),
    )
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("The source of imports that name none (the command line).")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("list source")
        verbose_name_plural = _("list sources")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_source"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def list_url(self) -> str:
        """The URL its scheduled import fetches ('' for a source only uploaded to)."""
        return self.url or (settings.SETTLEMENT_LIST_URL if self.is_default else "")

    @property
    def origin(self) -> tuple[str, str] | None:
        if not self.list_url:
            return None
        parts = urlsplit(self.list_url)
        return parts.scheme, parts.netloc.lower()


class SourceDisagreement(models.Model):
    """Two sources' lists, a few days apart, gave one settlement's figure different values."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DECIDED = "decided", _("decided")

    settlement = models.ForeignKey(
        "settlements.Settlement",
        verbose_name=_("settlement"),
        on_delete=models.CASCADE,
        related_name="source_disagreements",
    )
    field = models.CharField(_("figure"), max_length=24, choices=figure_choices)
    older = models.ForeignKey(
        "settlements.ListSnapshot", verbose_name=_("older list"), on_delete=models.CASCADE, related_name="+"
    )
    older_value = models.CharField(_("the older list says"), max_length=100)
    newer = models.ForeignKey(
        "settlements.ListSnapshot", verbose_name=_("newer list"), on_delete=models.CASCADE, related_name="+"
    )
    newer_value = models.CharField(_("the newer list says"), max_length=100)
    found_at = models.DateTimeField(_("found at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    chosen = models.ForeignKey(
        "settlements.ListSnapshot",
        verbose_name=_("list chosen"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The list whose figure staff chose to stand."),
    )
    decided_by = staff_member(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("disagreement between sources")
        verbose_name_plural = _("disagreements between sources")
        ordering = ["-found_at", "settlement", "field"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "field", "older", "newer"], name="source_disagreement_unique")
        ]
        indexes = [models.Index(fields=["status", "settlement"], name="source_disagreement_open")]

    def __str__(self):
        return f"{self.settlement_id} {self.field}: {self.older_value} / {self.newer_value}"

    @property
    def field_label(self) -> str:
        return dict(figure_choices()).get(self.field, self.field)
