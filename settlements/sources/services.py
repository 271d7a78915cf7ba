"""Writes for list sources: the default source, saved column mappings, schedules, and staff's choice
between two sources that disagree."""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from settlements.caching import data_changed
from settlements.sources import selectors
from settlements.sources.models import ListSource, SourceDisagreement

DEFAULT_NAME = "Daily settlement list"
IMPORT_TASK = "settlements.import_daily_list"


def default_source() -> ListSource:
    """The source of imports that name none: the published daily list (made by migration 0022,
    made again here when a database was emptied)."""
    source = ListSource.objects.filter(is_default=True).first()
    if source is not None:
        return source
    try:
        with transaction.atomic():
            return ListSource.objects.create(name=DEFAULT_NAME, kind=ListSource.Kind.URL, is_default=True)
    except IntegrityError:  # made meanwhile by another process
        return ListSource.objects.get(is_default=True)


def save_mapping(*, source: ListSource, mapping: dict[str, str], user) -> ListSource:
    """The columns as staff mapped them, for this source's later lists, scheduled ones included."""
    source.column_mapping, source.mapping_saved_by, source.mapping_saved_at = mapping, user, timezone.now()
    source.save(update_fields=["column_mapping", "mapping_saved_by", "mapping_saved_at"])
    return source


def ensure_schedule(source: ListSource) -> PeriodicTask | None:
    """A source published at a URL gets its own daily import (06:00 Damascus time, disabled until
    staff enable it under Periodic tasks). A source only uploaded to has none."""
    if source.schedule_id or source.kind != ListSource.Kind.URL or not source.list_url:
        return source.schedule
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    task = PeriodicTask.objects.create(
        name=f"Import {source.name}"[:200],
        task=IMPORT_TASK,
        crontab=crontab,
        kwargs=json.dumps({"source_id": source.pk}),
        enabled=False,
        expire_seconds=6 * 3600,
        description=f"Fetches {source.list_url} and imports it as the list of {source.name}.",
    )
    source.schedule = task
    source.save(update_fields=["schedule"])
    return task


def record_disagreements(snapshot) -> int:
    """Figures this list gives that another source's list, within SOURCE_DISAGREEMENT_DAYS, gives
    differently. Each pair of lists, settlement and figure is recorded once. Returns how many."""
    from settlements.models import ListEntry, Settlement

    found = 0
    for other in selectors.nearby_lists(snapshot, settings.SOURCE_DISAGREEMENT_DAYS):
        older, newer = (
            (other, snapshot)
            if (other.list_date, other.pk) <= (snapshot.list_date, snapshot.pk)
            else (
                snapshot,
                other,
            )
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {SourceDisagreement._meta.db_table}
                    (settlement_id, field, older_id, older_value, newer_id, newer_value, found_at, status)
                SELECT a.settlement_id, f.name, a.snapshot_id, a."values" ->> f.name,
                       b.snapshot_id, b."values" ->> f.name, %s, %s
                FROM {ListEntry._meta.db_table} a
                JOIN {ListEntry._meta.db_table} b ON b.settlement_id = a.settlement_id AND b.snapshot_id = %s
                CROSS JOIN unnest(%s::text[]) AS f(name)
                WHERE a.snapshot_id = %s
                  AND a."values" ->> f.name IS NOT NULL AND b."values" ->> f.name IS NOT NULL
                  AND a."values" ->> f.name <> b."values" ->> f.name
                ON CONFLICT DO NOTHING
                """,  # noqa: S608 (names come from the models, values are bound)
                [timezone.now(), SourceDisagreement.Status.OPEN, newer.pk, list(Settlement.LIST_FIGURES), older.pk],
            )
            found += cursor.rowcount
    return found


@transaction.atomic
def choose_list(*, disagreement: SourceDisagreement, snapshot, user) -> SourceDisagreement:
    """Staff say which list's figure stands. The settlement takes that value under `user` (a staff
    correction the lists then hold back from) unless it stands already; the choice is recorded."""
    from settlements import services

    if disagreement.status != SourceDisagreement.Status.OPEN:
        raise ValidationError(_("This disagreement was decided already."))
    if snapshot.pk not in (disagreement.older_id, disagreement.newer_id):
        raise ValidationError(_("Choose one of the two lists that disagree."))
    value = disagreement.older_value if snapshot.pk == disagreement.older_id else disagreement.newer_value
    settlement = disagreement.settlement
    field = settlement._meta.get_field(disagreement.field)
    if str(getattr(settlement, disagreement.field)) != value:
        setattr(settlement, disagreement.field, field.to_python(value))
        services.save_record(obj=settlement, user=user)
    disagreement.status, disagreement.chosen = SourceDisagreement.Status.DECIDED, snapshot
    disagreement.decided_by, disagreement.decided_at = user, timezone.now()
    disagreement.save(update_fields=["status", "chosen", "decided_by", "decided_at"])
    transaction.on_commit(data_changed)
    return disagreement
