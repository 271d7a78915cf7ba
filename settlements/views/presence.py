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
    level_filter = {1: "governorate", 2: "district", 3: "district"}[filterset.area_level]
    categories, units = dict(AidRequest.Category.choices), dict(AidRequest.Unit.choices)
    priorities = dict(AidRequest.Priority.choices)
    overlaps = found.overlaps[:LISTED] if valid else []
    for overlap in overlaps:
        overlap.category_label = categories.get(overlap.category, overlap.category)
    uncovered = [dict(area) for area in found.uncovered_areas] if valid else []
    for area in uncovered:
        # Sub-districts have no filter of their own on the requests table: their district's stands in.
        pcode = area["area_pcode"] if filterset.area_level < 3 else area["area_pcode"][:6]
        area["requests_query"] = urlencode({level_filter: pcode, "uncovered": "true"})
        area["priority_label"] = priorities.get(area["highest_priority"])
        area["category_labels"] = [categories.get(c, c) for c in area["categories"]]
    gaps = [dict(gap) for gap in found.gaps] if valid else []
    for gap in gaps:
        gap["category_label"], gap["unit_label"] = categories.get(gap["category"]), units.get(gap["unit"])
    context = {
        "filter": filterset,
        "table": table,
        "columns": table.columns,
        "rows": rows,
        "overlaps": overlaps,
        "overlap_count": len(found.overlaps) if valid else 0,
        "uncovered": uncovered,
        "gaps": gaps,
        "overlap_days": settings.PRESENCE_OVERLAP_DAYS,
        "uncovered_priority": priorities.get(settings.PRESENCE_PRIORITY, settings.PRESENCE_PRIORITY),
        "query": query.urlencode(),
        "exports": EXPORTS,
        "map_config": {
            **map_config(request),
            "presence": reverse("presence:areas") + (f"?{query.urlencode()}" if query else ""),
        },
    }
    return render(request, "presence/presence.html", context, status=200 if valid else 400)


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
