"""Writes for coordination: a pledge's status follows what was delivered against it."""

from collections.abc import Iterable

from django.db.models import Case, DecimalField, Exists, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from settlements.coordination.models import Pledge
from settlements.models import Delivery

Status = Pledge.Status


def refresh_pledge_status(*, pledge_ids: Iterable[int]) -> int:
    """Move each pledge on from the deliveries recorded against it, in one UPDATE.

    All of it delivered: delivered. Part of it: in transit (the rest is on its way). Nothing (its
    deliveries were removed): a delivered pledge goes back to in transit; pledged or in transit stay
    as staff set them. A pledge staff cancelled stays cancelled. Returns the rows updated.
    """
    ids = [pk for pk in pledge_ids if pk is not None]
    if not ids:
        return 0
    against = Delivery.objects.filter(pledge=OuterRef("pk"))
    arrived = Coalesce(
        Subquery(against.values("pledge").annotate(total=Sum("quantity")).values("total")),
        Value(0),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    derived = Case(
        When(quantity__lte=arrived, then=Value(Status.DELIVERED)),
        When(Exists(against), then=Value(Status.IN_TRANSIT)),
        When(status=Status.DELIVERED, then=Value(Status.IN_TRANSIT)),
        default="status",
    )
    return Pledge.objects.filter(pk__in=ids).exclude(status=Status.CANCELLED).update(status=derived)


def pledges_affected(obj) -> set[int]:
    """The pledges whose status saving or deleting `obj` may change: a delivery's pledge, and the
    one it pointed at before (read before the save)."""
    if not isinstance(obj, Delivery):
        return set()
    before = Delivery.objects.filter(pk=obj.pk).values_list("pledge_id", flat=True).first() if obj.pk else None
    return {obj.pledge_id, before} - {None}
