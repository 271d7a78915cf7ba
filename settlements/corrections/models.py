"""Figures staff corrected by hand, and the list values that disagree with them.

A daily list never overwrites a figure a person set. The list's value stays on its entry as
evidence, and the disagreement is a conflict that staff accept (the list wins) or dismiss (the
correction stands). A later list that agrees with the correction settles it by itself.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def figure_choices():
    """The figures a daily list sets on a settlement, named as the settlement names them."""
    from settlements.models import Settlement

    return [(name, Settlement._meta.get_field(name).verbose_name) for name in Settlement.LIST_FIGURES]


def staff_member(verbose_name):
    """Who did something: a user, kept as empty when the account goes."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class FigureCorrection(models.Model):
    """A settlement's figure as staff set it: the daily lists hold back from it."""

    settlement = models.ForeignKey(
        "settlements.Settlement", verbose_name=_("settlement"), on_delete=models.CASCADE, related_name="corrections"
    )
    field = models.CharField(_("figure"), max_length=24, choices=figure_choices)
    value = models.CharField(_("value"), max_length=100, blank=True, help_text=_("As staff set it; empty for none."))
    corrected_by = staff_member(_("corrected by"))
    corrected_at = models.DateTimeField(_("corrected at"), default=timezone.now)

    class Meta:
        verbose_name = _("figure correction")
        verbose_name_plural = _("figure corrections")
        constraints = [models.UniqueConstraint(fields=["settlement", "field"], name="figure_correction_unique")]

    def __str__(self):
        return f"{self.settlement_id} {self.field} = {self.value}"


class FigureConflict(models.Model):
    """A list said one thing of a figure staff had corrected to another."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("list value accepted")
        DISMISSED = "dismissed", _("correction kept")
        AGREED = "agreed", _("a later list agreed")

    settlement = models.ForeignKey(
        "settlements.Settlement", verbose_name=_("settlement"), on_delete=models.CASCADE, related_name="conflicts"
    )
    field = models.CharField(_("figure"), max_length=24, choices=figure_choices)
    snapshot = models.ForeignKey(
        "settlements.ListSnapshot", verbose_name=_("list"), on_delete=models.CASCADE, related_name="conflicts"
    )
    list_value = models.CharField(_("the list says"), max_length=100)
    corrected_value = models.CharField(_("corrected to"), max_length=100, blank=True)
    corrected_by = staff_member(_("corrected by"))
    corrected_at = models.DateTimeField(_("corrected at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = staff_member(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("figure conflict")
        verbose_name_plural = _("figure conflicts")
        ordering = ["-snapshot__list_date", "settlement", "field"]
        indexes = [models.Index(fields=["settlement", "status"], name="figure_conflict_open")]

    def __str__(self):
        return f"{self.settlement_id} {self.field}: {self.list_value} / {self.corrected_value}"
