from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from settlements.models import (
    QUANTITY_OUTPUT,
    AidRequest,
    Organization,
    check_in_request_unit,
    format_quantity,
    validate_positive,
)


class PledgeQuerySet(models.QuerySet):
    def with_delivered(self):
        """Annotate `delivered_quantity`: what deliveries recorded against each pledge add up to
        (a subquery, so pledges can still be grouped and summed over it)."""
        deliveries = self.model.deliveries.field.model.objects.filter(pledge=OuterRef("pk"))
        arrived = deliveries.values("pledge").annotate(total=Sum("quantity")).values("total")
        total = Coalesce(Subquery(arrived), Value(Decimal(0)), output_field=QUANTITY_OUTPUT)
        return self.annotate(delivered_quantity=total)


class Pledge(models.Model):
    """An organisation's promise to meet (part of) an aid request, in the request's unit.

    pledged -> in transit -> delivered, or cancelled. Deliveries recorded against the pledge move it
    on (coordination.services.refresh_pledge_status); staff move it to in transit or cancel it.
    """

    class Status(models.TextChoices):
        PLEDGED = "pledged", _("pledged")
        IN_TRANSIT = "in_transit", _("in transit")
        DELIVERED = "delivered", _("delivered")
        CANCELLED = "cancelled", _("cancelled")

    OPEN_STATUSES = (Status.PLEDGED, Status.IN_TRANSIT)

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="pledges"
    )
    request = models.ForeignKey(AidRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="pledges")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, validators=[validate_positive])
    unit = models.CharField(_("unit"), max_length=12, choices=AidRequest.Unit.choices)
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLEDGED)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip

    history = HistoricalRecords()
    objects = PledgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["request", "status"], name="pledge_request_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="pledge_quantity_positive",
                violation_error_message=_("The pledged quantity must be more than zero."),
            )
        ]

    def __str__(self):
        return _("%(organization)s: %(amount)s %(unit)s (%(status)s)") % {
            "organization": self.organization,
            "amount": format_quantity(self.quantity),
            "unit": self.get_unit_display(),
            "status": self.get_status_display(),
        }

    def delivered(self) -> Decimal:
        """What deliveries recorded against this pledge add up to (annotated by with_delivered, or asked)."""
        if hasattr(self, "delivered_quantity"):
            return self.delivered_quantity
        if not self.pk:
            return Decimal(0)
        return self.deliveries.aggregate(total=Sum("quantity"))["total"] or Decimal(0)

    def clean(self):
        super().clean()
        if self.status == self.Status.DELIVERED and self.quantity and self.delivered() < self.quantity:
            raise ValidationError(
                {"status": _("A pledge is delivered when the deliveries recorded against it add up to it.")}
            )
        check_in_request_unit(self, _("Pledges are counted in the request's unit (%(expected)s), not %(given)s."))
