"""Writes for staff corrections: recording them, holding lists back from them, deciding conflicts."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from settlements.caching import data_changed
from settlements.corrections.models import FigureConflict, FigureCorrection

Status = FigureConflict.Status


def as_text(value) -> str:
    """A figure as corrections and list entries compare it (the text of the entry's JSON value)."""
    return "" if value is None else str(value)


def record_corrections(*, settlement, before: dict, user) -> list[str]:
    """Figures of `settlement` that staff changed from `before` (field -> value) become corrections.

    Returns the fields corrected. A figure set back to what it was is no correction.
    """
    from settlements.models import Settlement

    corrected = []
    for name in Settlement.LIST_FIGURES:
        value = getattr(settlement, name)
        if as_text(value) == as_text(before.get(name)):
            continue
        FigureCorrection.objects.update_or_create(
            settlement=settlement,
            field=name,
            defaults={"value": as_text(value), "corrected_by": user, "corrected_at": timezone.now()},
        )
        corrected.append(name)
    return corrected


def reconcile_list(snapshot, entry_ids: list[int] | None = None) -> int:
    """After the newest list is written: where it agrees with a correction the correction is settled;
    where it disagrees, a conflict is recorded (one open conflict per settlement and figure, the
    newest list's). `entry_ids` limits this to some of its rows (a review decision). Returns the
    number of conflicts the list raised."""
    from settlements.models import ListEntry

    corrections, conflicts = FigureCorrection._meta.db_table, FigureConflict._meta.db_table
    entries, now = ListEntry._meta.db_table, timezone.now()
    says = """e."values" ->> c.field"""
    only, rows = ("AND e.id = ANY(%s)", [list(entry_ids)]) if entry_ids is not None else ("", [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH agreed AS (
                DELETE FROM {corrections} c USING {entries} e
                WHERE e.snapshot_id = %s {only} AND e.settlement_id = c.settlement_id AND {says} = c.value
                RETURNING c.settlement_id, c.field
            )
            UPDATE {conflicts} f SET status = %s, decided_at = %s FROM agreed a
            WHERE f.settlement_id = a.settlement_id AND f.field = a.field AND f.status = %s
            """,  # noqa: S608 (names come from the models, values are bound)
            [snapshot.pk, *rows, Status.AGREED, now, Status.OPEN],
        )
        cursor.execute(
            f"""
            WITH disagreeing AS (
                SELECT c.settlement_id, c.field, {says} AS list_value, c.value, c.corrected_by_id, c.corrected_at
                FROM {corrections} c JOIN {entries} e ON e.settlement_id = c.settlement_id
                WHERE e.snapshot_id = %s {only} AND {says} IS NOT NULL AND {says} <> c.value
            ),
            superseded AS (
                DELETE FROM {conflicts} f USING disagreeing d
                WHERE f.settlement_id = d.settlement_id AND f.field = d.field AND f.status = %s
            )
            INSERT INTO {conflicts} (settlement_id, field, snapshot_id, list_value, corrected_value, corrected_by_id,
                                     corrected_at, status)
            SELECT settlement_id, field, %s, list_value, value, corrected_by_id, corrected_at, %s FROM disagreeing
            """,  # noqa: S608
            [snapshot.pk, *rows, Status.OPEN, snapshot.pk, Status.OPEN],
        )
        return cursor.rowcount


def held_figures_join(settlement_alias: str = "s", alias: str = "held") -> str:
    """A LEFT JOIN giving `alias.fields`, the figures staff hold on each settlement (NULL when none)."""
    corrections = FigureCorrection._meta.db_table
    return (
        f"LEFT JOIN (SELECT settlement_id, array_agg(field::text) AS fields FROM {corrections} "  # noqa: S608
        f"GROUP BY settlement_id) {alias} ON {alias}.settlement_id = {settlement_alias}.id"
    )


@transaction.atomic
def accept_list_value(*, conflict: FigureConflict, user) -> FigureConflict:
    """The list is right: its value replaces the correction, in the settlement's history under `user`."""
    from settlements import services

    _check_open(conflict)
    settlement = conflict.settlement
    field = settlement._meta.get_field(conflict.field)
    setattr(settlement, conflict.field, field.to_python(conflict.list_value))
    services.save_record(obj=settlement, user=user, corrects=False)
    FigureCorrection.objects.filter(settlement=settlement, field=conflict.field).delete()
    _decide(conflict, Status.ACCEPTED, user)
    return conflict


@transaction.atomic
def keep_correction(*, conflict: FigureConflict, user) -> FigureConflict:
    """The correction stands; later lists that disagree still raise a conflict."""
    _check_open(conflict)
    _decide(conflict, Status.DISMISSED, user)
    return conflict


def _check_open(conflict: FigureConflict) -> None:
    if conflict.status != Status.OPEN:
        raise ValidationError(_("This conflict was decided already."))


def _decide(conflict: FigureConflict, status: str, user) -> None:
    conflict.status, conflict.decided_by, conflict.decided_at = status, user, timezone.now()
    conflict.save(update_fields=["status", "decided_by", "decided_at"])
    transaction.on_commit(data_changed)
