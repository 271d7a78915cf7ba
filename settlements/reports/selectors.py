"""What a situation report says, for the areas and requests the tables' filters select and a period."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from settlements.areas.selectors import area_figures, areas_within
from settlements.insights.trends import list_trends, weekly_progress
from settlements.models import AdminArea, AidRequest, Camp, Delivery, ListChange, ListSnapshot
from settlements.reports.maps import area_map
from settlements.selectors import needs_by_category

# Figures of the report's headline that add up over areas (area_figures per governorate).
ADDITIVE = ["listed", "people", "uncovered", "open", "tonnes"]
MAP_MEASURE = "people"
TOP_GAPS = 10


@dataclass
class Period:
    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def before(self) -> "Period":
        """The period of the same length just before: the previous report's."""
        end = self.start - datetime.timedelta(days=1)
        return Period(end - datetime.timedelta(days=self.days - 1), end)


@dataclass
class Sitrep:
    area: AdminArea | None
    period: Period
    headline: dict
    needs: list[dict]
    gaps: list[dict]
    map: dict
    lists: list[dict]
    weeks: list[dict]
    changes: list[dict]
    sources: list[ListSnapshot]
    camps: dict = field(default_factory=dict)


def _delivered(requests, period: Period) -> dict:
    found = Delivery.objects.filter(request__in=requests, delivered_on__range=(period.start, period.end)).aggregate(
        count=Count("pk"), tonnes=Sum("quantity", filter=Q(unit=AidRequest.Unit.TONNES))
    )
    return {"count": found["count"], "tonnes": float(found["tonnes"] or 0)}


def _list_changes(settlements, period: Period) -> dict:
    changes = ListChange.objects.filter(
        settlement__in=settlements, snapshot__list_date__range=(period.start, period.end)
    ).values("kind")
    counts = dict(changes.annotate(n=Count("pk")).values_list("kind", "n"))
    return {kind: counts.get(kind, 0) for kind in ListChange.Kind.values}


def _new_requests(requests, period: Period) -> int:
    return requests.filter(created_at__date__range=(period.start, period.end)).count()


def period_figures(requests, settlements, period: Period) -> dict:
    """What happened in one period: settlements the lists added and dropped, new requests, deliveries."""
    changes = _list_changes(settlements, period)
    delivered = _delivered(requests, period)
    return {
        "added": changes[ListChange.Kind.ADDED],
        "dropped": changes[ListChange.Kind.REMOVED],
        "requests": _new_requests(requests, period),
        "deliveries": delivered["count"],
        "tonnes": delivered["tonnes"],
    }


def changes_since(now: dict, before: dict) -> list[dict]:
    """This period's figures (`period_figures`) against the period before it."""
    return [
        {"label": label, "now": now[name], "before": before[name], "change": now[name] - before[name]}
        for name, label in MEASURE_LABELS.items()
    ]


def situation_report(requests, settlements, period: Period, area: AdminArea | None) -> Sitrep:
    """The report for the filtered `requests` and `settlements` over `period`; `area` is the one
    chosen (governorate, district or sub-district) or None for all of Syria."""
    level = 1 if area is None else min(area.level + 1, 3)
    figures = area_figures(level, requests, settlements)
    children = areas_within(level, area)
    totals = area_figures(1, requests, settlements)
    headline = {name: sum(found[name] for found in totals.values()) for name in ADDITIVE}
    now, before = period_figures(requests, settlements, period), period_figures(requests, settlements, period.before())
    headline["delivered"] = {"count": now["deliveries"], "tonnes": now["tonnes"]}
    headline["people_in_camps"] = (
        Camp.objects.filter(pk__in=requests.values("camp_id"), status=Camp.Status.OPEN).aggregate(n=Sum("population"))[
            "n"
        ]
        or 0
    )
    outline = AdminArea.objects.filter(pk=area.pk) if area else AdminArea.objects.filter(level=1)
    gaps = sorted(
        (
            {"area": child, **figures.get(child.pcode, {})}
            for child in children.order_by("pcode")
            if figures.get(child.pcode, {}).get("uncovered")
        ),
        key=lambda row: (-row["uncovered"], -row["tonnes"], row["area"].pcode),
    )[:TOP_GAPS]
    in_period = [row for row in list_trends(settlements) if period.start <= row["date"] <= period.end]
    weeks = [
        row
        for row in weekly_progress(requests)
        if period.start - datetime.timedelta(days=6) <= row["week"] <= period.end
    ]
    sources = ListSnapshot.objects.filter(list_date__range=(period.start, period.end)).select_related("import_run")
    return Sitrep(
        area=area,
        period=period,
        headline=headline,
        needs=needs_by_category(requests),
        gaps=gaps,
        map=area_map(outline, children, figures, MAP_MEASURE, settlements.filter(on_latest_list=True)),
        lists=in_period,
        weeks=weeks,
        changes=changes_since(now, before),
        sources=list(sources.order_by("list_date")),
    )


MEASURE_LABELS = {
    "added": _("Settlements added to the list"),
    "dropped": _("Settlements dropped from the list"),
    "requests": _("New requests"),
    "deliveries": _("Deliveries"),
    "tonnes": _("Tonnes delivered"),
}
