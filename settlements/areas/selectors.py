"""Administrative areas with the figures the map shades them by, under the tables' filters."""

import json
from collections import defaultdict

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from settlements.areas.levels import path
from settlements.coordination.models import Pledge
from settlements.coordination.selectors import located
from settlements.models import AdminArea, AidRequest, Camp, Delivery, Settlement

# The figures each area carries, in the order the map offers them; for every one, more is worse.
MEASURES = {
    "listed": _("settlements on the latest list"),
    "people": _("people in need"),
    "uncovered": _("needs nobody covers"),
    "days_since_delivery": _("days since the last delivery"),
    "open": _("open requests"),
    "tonnes": _("tonnes still needed"),
    "organizations": _("organisations present"),
}


def area_figures(level: int, requests, settlements) -> dict[str, dict]:
    """Area P-code (at `level`) -> MEASURES, for the filtered `requests` and `settlements`.

    - listed: settlements on the latest list;
    - people: the population of the settlements and camps with an open request;
    - uncovered: open requests with something nobody has delivered or pledged;
    - days_since_delivery: days since the last delivery against any of the requests (None: none yet);
    - open, tonnes: open requests, and the tonnes they still miss;
    - organizations: organisations with an open pledge to, or a delivery against, an open request.
    """
    area = f"area{level}"
    figures = defaultdict(lambda: {**dict.fromkeys(MEASURES, 0), "days_since_delivery": None})
    open_requests = requests.filter(status__in=AidRequest.OPEN_STATUSES)

    needs = (
        located(open_requests.with_progress())
        .order_by()
        .values(area)
        .annotate(
            open=Count("pk"),
            uncovered=Count("pk", filter=Q(uncovered__gt=0)),
            tonnes=Sum("gap", filter=Q(unit=AidRequest.Unit.TONNES)),
        )
    )
    for row in needs:
        figures[row[area]].update(open=row["open"], uncovered=row["uncovered"], tonnes=float(row["tonnes"] or 0))

    listed = settlements.filter(on_latest_list=True).order_by().values(pcode := f"{path('settlement', level)}__pcode")
    for row in listed.annotate(n=Count("pk")):
        figures[row[pcode]]["listed"] = row["n"]

    for target, model in (("settlement", Settlement), ("camp", Camp)):
        in_need = model.objects.filter(pk__in=open_requests.values(f"{target}_id")).order_by()
        pcode = f"{path(target, level)}__pcode"
        for row in in_need.values(pcode).annotate(n=Sum("population")):
            figures[row[pcode]]["people"] += row["n"] or 0

    present = defaultdict(set)
    pledged = located(Pledge.objects.filter(request__in=open_requests, status__in=Pledge.OPEN_STATUSES))
    delivered = located(Delivery.objects.filter(request__in=open_requests, delivering_organization__isnull=False))
    for rows in (pledged, delivered):
        for pcode, organization in rows.order_by().values_list(area, "org").distinct():
            present[pcode].add(organization)
    for pcode, organizations in present.items():
        figures[pcode]["organizations"] = len(organizations)

    today = timezone.localdate()
    last = located(Delivery.objects.filter(request__in=requests)).order_by().values(area).annotate(on=Max("on"))
    for row in last:
        figures[row[area]]["days_since_delivery"] = max((today - row["on"]).days, 0)

    figures.pop(None, None)  # requests whose camp is near no settlement have no district
    return figures


def areas_within(level: int, within: AdminArea | None):
    """The areas of `level` with an outline; only those in (or around) `within` when given."""
    areas = AdminArea.objects.filter(level=level, boundary__isnull=False)
    if within is None:
        return areas
    related = Q(pk=within.pk) | Q(parent=within) | Q(parent__parent=within)
    related |= Q(children=within) | Q(children__children=within)
    return areas.filter(related).distinct()


def areas_geojson(level: int, requests, settlements, within: AdminArea | None = None) -> str:
    """The areas of `level` as GeoJSON, each with its P-code, names, parent, whether its outline
    is approximate, and its figures (`area_figures`)."""
    figures = area_figures(level, requests, settlements)
    empty = {**dict.fromkeys(MEASURES, 0), "days_since_delivery": None}
    features = []
    rows = (
        areas_within(level, within)
        .annotate(outline=AsGeoJSON("boundary", precision=4))
        .values("pk", "pcode", "name_en", "name_ar", "parent__pcode", "boundary_is_approximate", "outline")
    )
    for area in rows.order_by("pcode"):
        properties = {
            "pcode": area["pcode"],
            "name_en": area["name_en"],
            "name_ar": area["name_ar"],
            "parent": area["parent__pcode"],
            "approximate": area["boundary_is_approximate"],
            **figures.get(area["pcode"], empty),
        }
        geometry = json.loads(area["outline"])
        features.append({"type": "Feature", "id": area["pk"], "geometry": geometry, "properties": properties})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
