"""Writes that span models. The admin, the API and the import all go through these."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Value, When
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from settlements.models import AidRequest, Delivery, Organization, delivered_total

Status = AidRequest.Status


def refresh_request_status(*, request_ids: Iterable[int]) -> int:
    """Derive each request's status from its deliveries, in one UPDATE.

    Requests whose status staff set by hand (met or cancelled) keep it. Returns the rows updated.
    """
    delivered = delivered_total()
    derived = Case(
        When(quantity__lte=delivered, then=Value(Status.MET)),
        When(Exists(Delivery.objects.filter(request=OuterRef("pk"))), then=Value(Status.PARTIALLY_MET)),
        default=Value(Status.OPEN),
    )
    return AidRequest.objects.filter(pk__in=list(request_ids), status_set_by_staff=False).update(status=derived)


@transaction.atomic
def record_delivery(
    *,
    request: AidRequest,
    quantity: Decimal,
    delivered_on: datetime.date,
    unit: str = "",
    delivering_organization: Organization | None = None,
    notes: str = "",
    user=None,
) -> Delivery:
    """Record what reached a request's target and update the request's status."""
    delivery = Delivery(
        request=request,
        quantity=quantity,
        unit=unit or request.unit,
        delivered_on=delivered_on,
        delivering_organization=delivering_organization,
        notes=notes,
        created_by=user,
    )
    delivery.full_clean()
    delivery.save()
    refresh_request_status(request_ids=[request.pk])
    return delivery


def set_requests_status(*, requests: Iterable[AidRequest], status: str, user=None) -> int:
    """Staff decide a status by hand: met or cancelled. Deliveries no longer change it."""
    if status not in (Status.MET, Status.CANCELLED):
        raise ValidationError(f"Staff can mark a request met or cancelled, not {status!r}.")
    changed = [r for r in requests if r.status != status or not r.status_set_by_staff]
    for aid_request in changed:
        aid_request.status = status
        aid_request.status_set_by_staff = True
        aid_request.updated_by = user
        aid_request.updated_at = timezone.now()
    with transaction.atomic():
        bulk_update_with_history(
            changed, AidRequest, ["status", "status_set_by_staff", "updated_by", "updated_at"], default_user=user
        )
    return len(changed)


def reopen_requests(*, requests: Iterable[AidRequest], user=None) -> int:
    """Hand a request's status back to its deliveries."""
    changed = [r for r in requests if r.status_set_by_staff]
    for aid_request in changed:
        aid_request.status_set_by_staff = False
        aid_request.updated_by = user
        aid_request.updated_at = timezone.now()
    with transaction.atomic():
        bulk_update_with_history(
            changed, AidRequest, ["status_set_by_staff", "updated_by", "updated_at"], default_user=user
        )
        refresh_request_status(request_ids=[r.pk for r in changed])
    return len(changed)
