"""A settlement's trends: what each daily list said of its figures, the figures staff corrected,
and what was requested and delivered for it over time.

One selector, `settlement_trends`, serves the settlement page's charts, their CSV downloads and the
API (`/api/settlements/<id>/trends/`); `list_trends` and `weekly_progress` the dashboard's, for the
settlements and requests the tables' filters select (`/api/trends/`).
"""

import datetime
from decimal import Decimal
from itertools import accumulate

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from settlements.caching import cached
from settlements.coordination.models import Pledge
from settlements.corrections.selectors import corrections_of
from settlements.models import AidRequest, Delivery, ListChange, ListEntry, Settlement

# chart -> (title, the list figures it draws)
CHARTS = {
    "people": (_("People"), ["population", "returnees"]),
    "destroyed": (_("Destroyed"), ["houses_destroyed", "schools_destroyed", "hospitals_destroyed"]),
    "need": (_("Need reported by the lists (tonnes)"), ["food_t", "medicine_t"]),
}
CAMP_CHARTS = {"people": (_("People"), ["population"])}
FIGURE_LABELS = {
    "population": _("Population"),
    "returnees": _("Returnees"),
    "houses_destroyed": _("Houses destroyed"),
    "schools_destroyed": _("Schools destroyed"),
    "hospitals_destroyed": _("Hospitals destroyed"),
    "food_t": _("Food (t)"),
    "medicine_t": _("Medicine (t)"),
}
LISTED = (ListEntry.Outcome.MATCHED, ListEntry.Outcome.CREATED)
# The dashboard's charts: their columns, in the order their CSV writes them.
TOTALS_COLUMNS = {
    "lists": ["date", "on_list", "added", "dropped"],
    "weeks": ["week", "requested", "delivered", "pledged"],
}
NOT_FILTERS = ("chart", "format")  # parameters of the trends' pages that choose no rows


def _number(value) -> float | None:
    try:
        return None if value in (None, "") else float(Decimal(str(value)))
    except ArithmeticError:
        return None


def settlement_trends(settlement) -> dict:
    """{"dates": list dates, "figures": {figure: value per date or None}, "corrections": [...],
    "progress": {"dates", "requested", "delivered"}} (tonnes, cumulative)."""
    entries = (
        ListEntry.objects.filter(settlement=settlement, outcome__in=LISTED)
        .order_by("snapshot__list_date", "row")
        .values_list("snapshot__list_date", "values")
    )
    by_date = {}
    for day, values in entries:
        by_date.setdefault(day, values)  # a settlement twice on one list: its first row
    dates = sorted(by_date)
    figures = {name: [_number(by_date[day].get(name)) for day in dates] for name in FIGURE_LABELS}
    corrections = [
        {
            "field": correction.field,
            "value": _number(correction.value),
            "date": timezone.localdate(correction.corrected_at),
            "by": str(correction.corrected_by or ""),
        }
        for correction in corrections_of(settlement)
        if correction.field in FIGURE_LABELS
    ]
    # Water, electricity and demining as each list reported them (a value, or None where it said nothing).
    statuses = {name: [by_date[day].get(name) or None for day in dates] for name in Settlement.RESTORATION}
    progress = _progress(AidRequest.objects.filter(settlement=settlement))
    return {"dates": dates, "figures": figures, "statuses": statuses, "corrections": corrections, "progress": progress}


def restoration_rows(trends: dict) -> list[dict]:
    """The list dates on which a list reported any restoration status, with each status's label."""
    labels = {name: dict(Settlement._meta.get_field(name).choices) for name in Settlement.RESTORATION}
    rows = []
    for i, day in enumerate(trends["dates"]):
        values = {name: trends["statuses"][name][i] for name in Settlement.RESTORATION}
        if any(values.values()):
            rows.append(
                {
                    "date": day,
                    "statuses": [(values[name], labels[name].get(values[name], "")) for name in Settlement.RESTORATION],
                }
            )
    return rows


def camp_trends(camp) -> dict:
    """A camp is on no daily list: its population as staff recorded it at each assessment (the
    camp's edit history, the last figure of each day) and the tonnes requested and delivered."""
    by_date = {}
    for record in camp.history.order_by("history_date").only("history_date", "population"):
        by_date[timezone.localdate(record.history_date)] = record.population
    dates = sorted(by_date)
    figures = {name: [None] * len(dates) for name in FIGURE_LABELS}
    figures["population"] = [by_date[day] for day in dates]
    progress = _progress(AidRequest.objects.filter(camp=camp))
    return {"dates": dates, "figures": figures, "corrections": [], "progress": progress}


def _progress(requests) -> dict:
    """Tonnes requested (by the day each request was entered, cancelled ones left out) and
    delivered (by delivery date) for `requests`, each summed up to each day either happened."""
    requests = requests.filter(unit=AidRequest.Unit.TONNES).exclude(status=AidRequest.Status.CANCELLED)
    requested = dict(
        requests.annotate(day=TruncDate("created_at")).values_list("day").annotate(total=Sum("quantity")).order_by()
    )
    delivered = dict(
        Delivery.objects.filter(request__in=requests)
        .values_list("delivered_on")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    days: list[datetime.date] = sorted(set(requested) | set(delivered))
    return {
        "dates": days,
        "requested": list(accumulate(float(requested.get(day, 0)) for day in days)),
        "delivered": list(accumulate(float(delivered.get(day, 0)) for day in days)),
    }


def chart_rows(trends: dict, chart: str, charts: dict = CHARTS) -> tuple[list[str], list[list]]:
    """The header and rows of one of `charts` (or the progress), as its CSV download writes them."""
    if chart == "progress":
        progress = trends["progress"]
        rows = zip(progress["dates"], progress["requested"], progress["delivered"], strict=True)
        return ["date", "requested_t", "delivered_t"], [list(row) for row in rows]
    if chart == "restoration":
        names = list(Settlement.RESTORATION)
        rows = [[day, *(trends["statuses"][name][i] or "" for name in names)] for i, day in enumerate(trends["dates"])]
        return ["list_date", *names], rows
    names = charts[chart][1]
    rows = [[day, *(trends["figures"][name][i] for name in names)] for i, day in enumerate(trends["dates"])]
    return ["list_date", *names], rows


def list_trends(settlements) -> list[dict]:
    """Per list date: how many of `settlements` the list named, and how many it added and dropped
    against the list before."""
    named = (
        ListEntry.objects.filter(settlement__in=settlements, outcome__in=LISTED)
        .values_list("snapshot__list_date")
        .annotate(count=Count("settlement", distinct=True))
        .order_by()
    )
    changed = (
        ListChange.objects.filter(settlement__in=settlements, kind__in=[ListChange.Kind.ADDED, ListChange.Kind.REMOVED])
        .values_list("snapshot__list_date", "kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    days = {day: {"date": day, "on_list": count, "added": 0, "dropped": 0} for day, count in named}
    for day, kind, count in changed:
        row = days.setdefault(day, {"date": day, "on_list": 0, "added": 0, "dropped": 0})
        row["added" if kind == ListChange.Kind.ADDED else "dropped"] = count
    return [days[day] for day in sorted(days)]


def weekly_progress(requests) -> list[dict]:
    """Per week (starting Monday): tonnes newly requested among `requests` (cancelled ones left
    out), delivered to them and pledged to them (cancelled pledges left out)."""
    tonnes = requests.filter(unit=AidRequest.Unit.TONNES).exclude(status=AidRequest.Status.CANCELLED)
    series = {
        "requested": tonnes.annotate(week=TruncWeek("created_at")),
        "delivered": Delivery.objects.filter(request__in=tonnes).annotate(week=TruncWeek("delivered_on")),
        "pledged": Pledge.objects.filter(request__in=tonnes)
        .exclude(status=Pledge.Status.CANCELLED)
        .annotate(week=TruncWeek("created_at")),
    }
    weeks: dict[datetime.date, dict] = {}
    for name, queryset in series.items():
        for week, total in queryset.values_list("week").annotate(total=Sum("quantity")).order_by():
            day = week.date() if isinstance(week, datetime.datetime) else week
            row = weeks.setdefault(day, {"week": day, "requested": 0.0, "delivered": 0.0, "pledged": 0.0})
            row[name] = float(total)
    return [weeks[day] for day in sorted(weeks)]


def filtered_trends(settlements, requests, *, parameters: str) -> dict:
    """The dashboard's trends for the settlements and requests the tables' filters (`parameters`,
    in a fixed order) selected, cached until the next write."""
    return cached("trends", parameters, lambda: {"lists": list_trends(settlements), "weeks": weekly_progress(requests)})
