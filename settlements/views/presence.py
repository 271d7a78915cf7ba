"""Who does what where (3W): the page, its exports and its map layer."""

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from settlements.coordination import selectors
from settlements.coordination.filters import PresenceFilterSet
from settlements.coordination.models import Pledge
from settlements.coordination.tables import presence_table
from settlements.exports.formats import export_response
from settlements.models import AidRequest
from settlements.views.common import can_view, filtered
from settlements.views.maps import map_config

EXPORTS = ("csv", "xlsx", "hxl")
LISTED = 200  # overlaps shown on the page, newest first; the API has them all


def presence_filters(request, *, strict: bool):
    return filtered(PresenceFilterSet, request, Pledge.objects.none(), strict=strict)


@can_view("delivery")
def presence_page(request):
    export = request.GET.get("export")
    if export and export not in EXPORTS:
        raise BadRequest(f"export must be one of {', '.join(EXPORTS)}")
    filterset = presence_filters(request, strict=bool(export))
    table = presence_table(filterset.area_level)
    valid = filterset.is_valid()
    found = selectors.picture(filterset) if valid else None
    rows = [entry.row() for entry in found.presence] if valid else []
    if export:
        return export_response(table, rows, export, request.GET.dict())
    shown = [(column, column.shows()) for column in table.columns]
    for row in rows:
        row["cells"] = [(column, shows(row)) for column, shows in shown]
    query = request.GET.copy()
    query.pop("export", None)
    context = {
        "filter": filterset,
        "table": table,
        "columns": table.columns,
        "rows": rows,
        **(labelled(found) if valid else {"overlaps": [], "overlap_count": 0, "uncovered": [], "gaps": []}),
        "overlap_days": settings.PRESENCE_OVERLAP_DAYS,
        "uncovered_priority": PRIORITIES.get(settings.PRESENCE_PRIORITY, settings.PRESENCE_PRIORITY),
        "query": query.urlencode(),
        "exports": EXPORTS,
        "map_config": {
            **map_config(request),
            "presence": reverse("presence:areas") + (f"?{query.urlencode()}" if query else ""),
        },
    }
    return render(request, "presence/presence.html", context, status=200 if valid else 400)


CATEGORIES = dict(AidRequest.Category.choices)
UNITS = dict(AidRequest.Unit.choices)
PRIORITIES = dict(AidRequest.Priority.choices)
# The requests table's filter for an area of each level; a sub-district's district stands in for it.
AREA_FILTERS = {1: ("governorate", 4), 2: ("district", 6), 3: ("district", 6)}


def labelled(found) -> dict:
    """The picture's lists for the page: the newest LISTED overlaps, with labels in the
    interface language and, for each area nobody covers, a link to its needs."""
    name, length = AREA_FILTERS[found.level]
    uncovered = [
        {
            **area,
            "requests_query": urlencode({name: area["area_pcode"][:length], "uncovered": "true"}),
            "priority_label": PRIORITIES.get(area["highest_priority"]),
            "category_labels": [CATEGORIES.get(c, c) for c in area["categories"]],
        }
        for area in found.uncovered_areas
    ]
    gaps = [
        {**gap, "category_label": CATEGORIES.get(gap["category"]), "unit_label": UNITS.get(gap["unit"])}
        for gap in found.gaps
    ]
    return {
        "overlaps": found.overlaps[:LISTED],
        "overlap_count": len(found.overlaps),
        "uncovered": uncovered,
        "gaps": gaps,
    }


@can_view("delivery")
def presence_areas(request):
    """The page's map layer: a point per area, with who is present and what nobody covers."""
    filterset = presence_filters(request, strict=True)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [area.pop("lon"), area.pop("lat")]},
            "properties": area,
        }
        for area in selectors.presence_areas(selectors.picture(filterset))
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features}, content_type="application/geo+json")
