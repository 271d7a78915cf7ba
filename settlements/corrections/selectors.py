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
    """(history record, [(field label, before, after)], first) of the settlement's edits, newest first.

    The earliest record has nothing to compare with (the gazetteer and the lists write settlements
    without history): its figures are given as they were set, with `first` true.
    """
    from settlements.models import Settlement

    records = list(settlement.history.select_related("history_user")[: limit + 1])
    edits = []
    for record, previous in zip(records, [*records[1:], None], strict=False):
        if previous is None:
            names = [name for name in Settlement.LIST_FIGURES if getattr(record, name) not in (None, "")]
            changes = [(_label(name), None, getattr(record, name)) for name in names]
        else:
            diff = record.diff_against(previous, excluded_fields=["location"]).changes
            changes = [(_label(change.field), change.old, change.new) for change in diff]
        edits.append((record, changes, previous is None))
    return edits[:limit]


def _label(name: str) -> str:
    from settlements.models import Settlement

    return Settlement._meta.get_field(name).verbose_name
