"""Reads about list sources: their latest lists, what each said of a settlement, open disagreements."""

from settlements.sources.models import ListSource, SourceDisagreement


def _snapshots():
    from settlements.models import ListSnapshot

    return ListSnapshot.objects


def latest_lists(*, besides: int | None = None) -> list[int]:
    """The newest list of each source (but `besides`): together they say who is on the latest list."""
    lists = _snapshots().exclude(list_source=besides) if besides else _snapshots().all()
    lists = lists.order_by("list_source_id", "-list_date").distinct("list_source_id")
    return list(lists.values_list("pk", flat=True))


def later_lists_elsewhere(snapshot) -> list[int]:
    """Lists of other sources dated after `snapshot`: what they say of a settlement stands over it."""
    later = _snapshots().filter(list_date__gt=snapshot.list_date).exclude(list_source=snapshot.list_source_id)
    return list(later.values_list("pk", flat=True))


def nearby_lists(snapshot, days: int) -> list:
    """Of each other source, the list closest in date to `snapshot`, within `days` either side."""
    import datetime

    window = (snapshot.list_date - datetime.timedelta(days=days), snapshot.list_date + datetime.timedelta(days=days))
    near = {}
    others = _snapshots().filter(list_date__range=window).exclude(list_source=snapshot.list_source_id)
    for other in others.order_by("pk"):
        distance = abs((other.list_date - snapshot.list_date).days)
        if other.list_source_id not in near or distance < near[other.list_source_id][0]:
            near[other.list_source_id] = (distance, other)
    return [other for _, other in near.values()]


def what_sources_said(settlement) -> list[dict]:
    """Per source, its newest list that names `settlement`: the date, the figures, the row."""
    from settlements.models import ListEntry, Settlement

    entries = (
        ListEntry.objects.filter(settlement=settlement)
        .select_related("snapshot__list_source")
        .order_by("snapshot__list_source_id", "-snapshot__list_date")
        .distinct("snapshot__list_source_id")
    )
    said = []
    for entry in entries:
        figures = [
            (Settlement._meta.get_field(name).verbose_name, entry.values[name])
            for name in Settlement.LIST_FIGURES
            if entry.values.get(name) not in (None, "")
        ]
        said.append(
            {"source": entry.snapshot.list_source, "snapshot": entry.snapshot, "entry": entry, "figures": figures}
        )
    return sorted(said, key=lambda s: s["snapshot"].list_date, reverse=True)


def open_disagreements():
    return SourceDisagreement.objects.filter(status=SourceDisagreement.Status.OPEN).select_related(
        "settlement", "older__list_source", "newer__list_source"
    )


def disagreements_of(settlement):
    return SourceDisagreement.objects.filter(settlement=settlement).select_related(
        "older__list_source", "newer__list_source", "chosen__list_source", "decided_by"
    )


def allowed_origins() -> set[tuple[str, str]]:
    """The scheme and host of every source published at a URL: what AidTrack may fetch from."""
    return {source.origin for source in ListSource.objects.all() if source.origin}
