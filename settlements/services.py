"""Writes that span models. The admin, the API and the import all go through these."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Exists, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from settlements import rights
from settlements.caching import data_changed
from settlements.coordination.models import Pledge
from settlements.coordination.services import pledges_affected, refresh_pledge_status
from settlements.corrections.services import held_figures_join, reconcile_list, record_corrections
from settlements.models import (
    AidRequest,
    Delivery,
    ListEntry,
    ListSnapshot,
    Organization,
    RequestProgress,
    Settlement,
    SettlementAlias,
)
from settlements.sources.selectors import later_lists_elsewhere

Status = AidRequest.Status


def refresh_request_status(*, request_ids: Iterable[int]) -> int:
    """Derive each request's status from its deliveries, in one UPDATE.

    Requests whose status staff set by hand (met or cancelled) keep it. Returns the rows updated.
    """
    delivered = Subquery(RequestProgress.objects.filter(request=OuterRef("pk")).values("delivered"))
    derived = Case(
        When(quantity__lte=delivered, then=Value(Status.MET)),
        When(Exists(Delivery.objects.filter(request=OuterRef("pk"))), then=Value(Status.PARTIALLY_MET)),
        default=Value(Status.OPEN),
    )
    transaction.on_commit(data_changed)
    return AidRequest.objects.filter(pk__in=list(request_ids), status_set_by_staff=False).update(status=derived)


def _requests_affected(obj, previous_request_id=None) -> set[int]:
    """The aid requests whose progress a saved or deleted record changes."""
    if isinstance(obj, AidRequest):
        return {obj.pk} - {None}
    if isinstance(obj, Delivery):
        # A delivery moved to another request changes both requests' progress.
        return {obj.request_id, previous_request_id} - {None}
    return set()


@transaction.atomic
def save_record(*, obj, user, validate: bool = True, previous_request_id: int | None = None, corrects: bool = True):
    """Save a settlement, camp, organisation, aid request, pledge or delivery as `user` edited it.

    The admin and the API both come here: the record is validated (the admin's form has done it
    already), stamped with its editor, recorded in the edit history under that user, the progress
    of the requests it touches re-derived, and cached map and table data renewed after commit.
    A settlement's figures that `user` changed become corrections the daily lists hold back from
    (`corrects=False` when the change is the list's value, accepted). PermissionDenied unless
    settlements.rights lets `user` write the record (None: the system itself).
    """
    rights.check(user, "change" if obj.pk else "add", obj)
    if validate:
        obj.full_clean()
    before = None
    if isinstance(obj, Settlement) and corrects:
        before = Settlement.objects.filter(pk=obj.pk).values(*Settlement.LIST_FIGURES).first() if obj.pk else {}
    _stamp_editor(obj, user)
    obj._history_user = user  # simple_history: the editor even when no Django request carries them
    pledges = pledges_affected(obj)
    obj.save()
    if before is not None:
        record_corrections(settlement=obj, before=before, user=user)
    refresh_request_status(request_ids=_requests_affected(obj, previous_request_id))
    refresh_pledge_status(pledge_ids=pledges | ({obj.pk} if isinstance(obj, Pledge) else set()))
    transaction.on_commit(data_changed)
    return obj


def _stamp_editor(obj, user) -> None:
    """Who made the record (kept once set) and who changed it last, where the model records them."""
    if hasattr(obj, "created_by_id") and obj.created_by_id is None:
        obj.created_by = user
    if hasattr(obj, "updated_by_id"):
        obj.updated_by = user


@transaction.atomic
def add_records(*, objs: list, user) -> list:
    """Add many new records of one model at once (bulk entry), validated by the caller, with what
    `save_record` gives one: the rights check, authorship, edit history, the progress of the
    requests and pledges they touch re-derived once, and cached data renewed after commit."""
    if not objs:
        return objs
    for obj in objs:
        rights.check(user, "add", obj)
        _stamp_editor(obj, user)
    model = type(objs[0])
    bulk_create_with_history(objs, model, default_user=user)
    refresh_request_status(request_ids={obj.request_id for obj in objs if hasattr(obj, "request_id")})
    touched = {obj.pk for obj in objs} if model is Pledge else {getattr(obj, "pledge_id", None) for obj in objs}
    refresh_pledge_status(pledge_ids=touched)
    transaction.on_commit(data_changed)
    return objs


@transaction.atomic
def delete_record(*, obj, user) -> None:
    rights.check(user, "delete", obj)
    affected = _requests_affected(obj) - ({obj.pk} if isinstance(obj, AidRequest) else set())
    pledges = pledges_affected(obj)
    obj._history_user = user
    obj.delete()
    refresh_request_status(request_ids=affected)
    refresh_pledge_status(pledge_ids=pledges)
    transaction.on_commit(data_changed)


@transaction.atomic
def record_delivery(
    *,
    request: AidRequest,
    quantity: Decimal,
    delivered_on: datetime.date,
    unit: str = "",
    delivering_organization: Organization | None = None,
    notes: str = "",
    pledge=None,
    user=None,
) -> Delivery:
    """Record what reached a request's target (against a pledge, which it moves on, when given)
    and update the request's status."""
    delivery = Delivery(
        request=request,
        pledge=pledge,
        quantity=quantity,
        unit=unit or request.unit,
        delivered_on=delivered_on,
        delivering_organization=delivering_organization,
        notes=notes,
        created_by=user,
    )
    rights.check(user, "add", delivery)
    delivery.full_clean()
    delivery.save()
    refresh_request_status(request_ids=[request.pk])
    refresh_pledge_status(pledge_ids=[pledge.pk] if pledge else [])
    return delivery


def set_requests_status(*, requests: Iterable[AidRequest], status: str, user=None) -> int:
    """Staff decide a status by hand: met or cancelled. Deliveries no longer change it."""
    if status not in (Status.MET, Status.CANCELLED):
        raise ValidationError(_("Staff can mark a request met or cancelled, not %(status)r.") % {"status": status})
    requests = list(requests)
    rights.check_all(user, "change", requests)
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
        transaction.on_commit(data_changed)
    return len(changed)


def reopen_requests(*, requests: Iterable[AidRequest], user=None) -> int:
    """Hand a request's status back to its deliveries."""
    requests = list(requests)
    rights.check_all(user, "change", requests)
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


def is_latest_list(snapshot: ListSnapshot) -> bool:
    """No later list of its source has been imported: this one sets figures and who is on the list."""
    later = ListSnapshot.objects.filter(list_source=snapshot.list_source_id, list_date__gt=snapshot.list_date)
    return not later.exists()


def take_list_rows(
    snapshot: ListSnapshot, *, is_latest: bool, entry_ids: list[int] | None = None, newer_lists: list[int] = ()
) -> list[int]:
    """What a daily list says about the settlements its rows name, written onto them in one UPDATE.

    Each settlement adds the list's date to its first/last listed and last confirmed dates. Only the
    newest list (`is_latest`) sets figures, where its cell is not empty, and puts the settlement on
    the latest list. A settlement the list leaves as it was is not written. `entry_ids` limits this
    to some of the list's rows. A settlement that one of `newer_lists` (later lists of other
    sources) names keeps the figures those gave. Returns the ids of the settlements whose figures changed.

    One statement over the rows already stored, not a round trip per settlement: the import runs
    it over 100,000 rows, and a review decision over one.
    """
    fields = [Settlement._meta.get_field(name) for name in Settlement.LIST_FIGURES]
    params: list = []
    figures = []
    for field in fields:
        if is_latest:
            # A figure staff corrected keeps their value: the list's stays on its entry as evidence.
            cast = field.db_type(connection)
            figures.append(
                f"""CASE WHEN held.fields @> ARRAY[%s]::text[] {"OR newer.yes" if newer_lists else ""} """
                f"""THEN s."{field.column}" """
                f"""ELSE COALESCE(NULLIF(e."values" ->> %s, '')::{cast}, s."{field.column}") END"""
            )
            params += [field.name, field.name]
        else:
            figures.append(f's."{field.column}"')
    # Any list names a settlement on its date: the earliest is the first listed, the latest the last.
    dates = {"first_listed": "LEAST", "last_listed": "GREATEST", "last_confirmed": "GREATEST"}
    params += [snapshot.list_date] * len(dates)
    figure_columns = [field.column for field in fields]
    columns = [*figure_columns, *dates, "on_latest_list"]
    new = [*figures, *(f'{pick}(s."{column}", %s)' for column, pick in dates.items())]
    new.append("true" if is_latest else 's."on_latest_list"')
    listed = ", ".join(
        f's."{column}" AS "was_{column}", {value} AS "{column}"' for column, value in zip(columns, new, strict=True)
    )
    newer = ""
    if newer_lists and is_latest:
        newer = f"""LEFT JOIN LATERAL (
                    SELECT true AS yes FROM {ListEntry._meta.db_table} n
                    WHERE n.settlement_id = s.id AND n.snapshot_id = ANY(%s) LIMIT 1
                ) newer ON true"""  # noqa: S608 (the table's name comes from the model)
        params.append(list(newer_lists))
    params.append(snapshot.pk)
    only = ""
    if entry_ids is not None:
        only = "AND e.id = ANY(%s)"
        params.append(list(entry_ids))

    def row(prefix: str, names: list[str]) -> str:
        return "ROW(" + ", ".join(f'l."{prefix}{name}"' for name in names) + ")"

    table = Settlement._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH listed AS (
                SELECT s.id, {listed}
                FROM {ListEntry._meta.db_table} e JOIN {table} s ON s.id = e.settlement_id
                {held_figures_join("s", "held")}
                {newer}
                WHERE e.snapshot_id = %s {only}
            ),
            written AS (
                UPDATE {table} s SET {", ".join(f'"{c}" = l."{c}"' for c in columns)}
                FROM listed l
                WHERE s.id = l.id AND {row("was_", columns)} IS DISTINCT FROM {row("", columns)}
                RETURNING s.id, {row("was_", figure_columns)} IS DISTINCT FROM {row("", figure_columns)} AS figures
            )
            SELECT id FROM written WHERE figures
            """,  # noqa: S608 (names come from the models, values are bound)
            params,
        )
        return [pk for (pk,) in cursor.fetchall()]


def _take_row(entry: ListEntry, settlement: Settlement) -> None:
    """What the list said about a settlement, now that staff know which one it is."""
    latest = is_latest_list(entry.snapshot)
    newer = later_lists_elsewhere(entry.snapshot) if latest else []
    take_list_rows(entry.snapshot, is_latest=latest, entry_ids=[entry.pk], newer_lists=newer)
    if latest:
        reconcile_list(entry.snapshot, entry_ids=[entry.pk])
    settlement.refresh_from_db()


@transaction.atomic
def resolve_review_item(*, entry: ListEntry, settlement: Settlement, user=None) -> ListEntry:
    """Staff say which settlement a list row means. The row's name becomes an alias, so the next list matches."""
    if entry.outcome != ListEntry.Outcome.REVIEW:
        raise ValidationError(_("This row is not waiting for review."))
    if entry.snapshot.entries.filter(settlement=settlement).exclude(pk=entry.pk).exists():
        raise ValidationError(
            _("%(settlement)s is already on the list of %(date)s in another row.")
            % {"settlement": settlement, "date": entry.snapshot.list_date}
        )
    if entry.name:
        SettlementAlias.objects.get_or_create(
            settlement=settlement,
            name=entry.name[:150],
            defaults={"language": guess_language(entry.name), "source": SettlementAlias.Source.STAFF},
        )
    entry.settlement = settlement
    entry.outcome, entry.method = ListEntry.Outcome.MATCHED, "staff"
    entry.resolved_by, entry.resolved_at = user, timezone.now()
    entry.save()
    _take_row(entry, settlement)
    transaction.on_commit(data_changed)
    return entry


@transaction.atomic
def create_settlement_from_review(*, entry: ListEntry, user=None) -> Settlement:
    """Staff say a list row is a place the gazetteer does not have: add it, flagged unverified."""
    if entry.outcome != ListEntry.Outcome.REVIEW:
        raise ValidationError(_("This row is not waiting for review."))
    lat, lon = entry.values.get("latitude"), entry.values.get("longitude")
    if entry.governorate_id is None or lat is None or lon is None or not entry.name:
        raise ValidationError(
            _("Row %(row)s lacks a name, a governorate or coordinates: add the settlement by hand, then pick it.")
            % {"row": entry.row}
        )
    settlement = Settlement(
        pcode=entry.pcode or f"NEW-{entry.pk}",
        name_en=entry.name[:150],
        location=Point(lon, lat, srid=4326),
        governorate_id=entry.governorate_id,
        unverified=True,
        notes=f"Added by {user or 'staff'} from row {entry.row} of the {entry.snapshot.list_date} list.",
    )
    settlement.full_clean()
    settlement.save()
    entry.settlement = settlement
    entry.outcome, entry.method = ListEntry.Outcome.CREATED, "staff"
    entry.resolved_by, entry.resolved_at = user, timezone.now()
    entry.save()
    _take_row(entry, settlement)
    transaction.on_commit(data_changed)
    return settlement


def guess_language(name: str) -> str:
    if any("\u0600" <= ch <= "\u06ff" for ch in name):
        return "ar"
    if any("\u0400" <= ch <= "\u04ff" for ch in name):
        return "ru"
    return "en"
