"""Reads for corrections: what staff hold on a settlement, what the lists say against it, who changed what."""

from settlements.corrections.models import FigureConflict, FigureCorrection


def corrections_of(settlement):
    return FigureCorrection.objects.filter(settlement=settlement).select_related("corrected_by").order_by("field")


def open_conflicts(settlement=None):
    conflicts = FigureConflict.objects.filter(status=FigureConflict.Status.OPEN)
    if settlement is not None:
        conflicts = conflicts.filter(settlement=settlement)
    return conflicts.select_related("settlement", "snapshot", "corrected_by")


def edits_of(settlement, limit: int = 50) -> list[tuple]:
    """(history record, [(field label, before, after)]) of the settlement's edits, newest first."""
    records = list(settlement.history.select_related("history_user")[: limit + 1])
    edits = []
    for record, previous in zip(records, [*records[1:], None], strict=False):
        changes = []
        if previous is not None:
            for change in record.diff_against(previous, excluded_fields=["location"]).changes:
                label = settlement._meta.get_field(change.field).verbose_name
                changes.append((label, change.old, change.new))
        edits.append((record, changes))
    return edits[:limit]
