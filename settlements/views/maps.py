"""The coordinators' map: the page, its data layers and its popups."""

import inspect
import math

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext

from settlements import selectors
from settlements.areas.levels import LEVEL_FILTERS, chosen_area
from settlements.areas.selectors import MEASURES, areas_geojson
from settlements.filters import AidRequestFilterSet, CampFilterSet, SettlementFilterSet
from settlements.models import AidRequest, Camp, Settlement
from settlements.places import local_name
from settlements.views.common import cached_json, can_view, filtered

GEOJSON = "application/geo+json"


def syria_bounds() -> list[list[float]]:
    """[[south, west], [north, east]] of the country, as Leaflet takes them."""
    west, south, east, north = settings.LEAFLET_CONFIG["SPATIAL_EXTENT"]
    return [[south, west], [north, east]]


def map_config(request) -> dict:
    """What map scripts need to know, handed over with json_script (no inline script)."""
    return {
        "tiles": {"url": settings.MAP_TILES_URL, "attribution": settings.MAP_TILES_ATTRIBUTION},
        "bounds": syria_bounds(),
        "data": {
            "settlements": reverse("map:settlements"),
            "camps": reverse("map:camps"),
            "areas": reverse("map:areas"),
            "restoration": reverse("map:restoration"),
        },
        "restoration": restoration_vocabulary(),
        "levels": LEVEL_FILTERS,
        "measures": {key: str(label) for key, label in MEASURES.items()},
        "areas_attribution": gettext(
            "Boundaries: UNCS / UN OCHA (CC BY 3.0 IGO) and geoBoundaries; sub-districts drawn by AidTrack, approximate"
        ),
        "popup": {
            "settlement": reverse("map:settlement-popup", args=[0]),
            "camp": reverse("map:camp-popup", args=[0]),
        },
        "table": reverse("tables:settlements"),
        "report": reverse("sitrep"),
        "requests_table": reverse("tables:requests"),
        "staff": request.user.has_perm("settlements.change_settlement"),
    }


@can_view("settlement")
def map_page(request):
    filterset = filtered(SettlementFilterSet, request, Settlement.objects.none(), strict=False)
    context = {
        "filter": filterset,
        "map_config": map_config(request),
        "measures": MEASURES,
        "stale_after_days": settings.STALE_AFTER_DAYS,
    }
    return render(request, "map/map.html", context, status=200 if filterset.is_valid() else 400)


def within_bbox(request, queryset):
    """Only the points inside ?bbox=west,south,east,north (degrees), when given."""
    raw = request.GET.get("bbox")
    if not raw:
        return queryset
    try:
        west, south, east, north = (float(part) for part in raw.split(","))
    except ValueError:
        raise BadRequest("bbox must be west,south,east,north in degrees") from None
    if not all(map(math.isfinite, (west, south, east, north))):
        raise BadRequest("bbox must be four finite numbers")
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise BadRequest("bbox must have -180 <= west <= east <= 180 and -90 <= south <= north <= 90")
    return queryset.filter(location__intersects=Polygon.from_bbox((west, south, east, north)))


@can_view("settlement")
def settlement_points(request):
    filterset = filtered(SettlementFilterSet, request, Settlement.objects.all())
    points = within_bbox(request, filterset.qs)
    return cached_json(request, "map-settlements", lambda: selectors.settlement_map_data(points), GEOJSON)


@can_view("settlement")
def restoration_points(request):
    """Settlements with a reported restoration status (?of=water_supply|electricity_supply|demining)."""
    field = request.GET.get("of", "")
    if field not in Settlement.RESTORATION:
        raise BadRequest(f"of must be one of {', '.join(Settlement.RESTORATION)}")
    filterset = filtered(SettlementFilterSet, request, Settlement.objects.all())
    points = within_bbox(request, filterset.qs)
    return cached_json(request, "map-restoration", lambda: selectors.restoration_map_data(points, field), GEOJSON)


def restoration_vocabulary() -> dict:
    """Field -> its label and values (worst first) in the interface language, for the map's layer."""
    return {
        field: {
            "label": capfirst(Settlement._meta.get_field(field).verbose_name),
            "values": [[value, str(value.label)] for value in values],
        }
        for field, values in Settlement.RESTORATION.items()
    }


@can_view("camp")
def camp_points(request):
    filterset = filtered(CampFilterSet, request, Camp.objects.all())
    points = within_bbox(request, filterset.qs)
    return cached_json(request, "map-camps", lambda: selectors.camp_map_data(points), GEOJSON)


def area_level(request) -> int:
    raw = request.GET.get("level", "1")
    if raw not in ("1", "2", "3"):
        raise BadRequest("level must be 1 (governorates), 2 (districts) or 3 (sub-districts)")
    return int(raw)


@can_view("aidrequest")
def area_shapes(request):
    """Governorates, districts or sub-districts (?level=1|2|3) with the figures the map shades them
    by, under the same filters as the tables; only the filtered area and those in it when one is chosen."""
    level = area_level(request)
    requests = filtered(AidRequestFilterSet, request, AidRequest.objects.all())
    settlements = filtered(SettlementFilterSet, request, Settlement.objects.all())
    within = chosen_area(requests)

    def build():
        return areas_geojson(level, requests.qs, settlements.qs, within)

    # Days since the last delivery change with the date, so the date is part of the key; so is the
    # level, read as it is meant (the dashboard asks with none, the map with level=1: one entry).
    return cached_json(request, f"map-areas-{timezone.localdate()}-{level}", build, GEOJSON, ignore=("level",))


def local_date(day) -> str | None:
    """A date as the interface language writes it (11 September 2017 in English)."""
    return date_format(day) if day else None


def place_names(obj) -> dict:
    return {"name_en": obj.name_en, "name_ar": obj.name_ar}


def admin_link(request, obj) -> str | None:
    model = obj._meta.model_name
    if request.user.has_perm(f"settlements.change_{model}"):
        return reverse(f"admin:settlements_{model}_change", args=[obj.pk])
    return None


@can_view("settlement")
def settlement_popup(request, pk):
    settlement = get_object_or_404(Settlement.objects.select_related("governorate"), pk=pk)
    return JsonResponse(
        {
            **place_names(settlement),
            "pcode": settlement.pcode,
            "governorate": local_name(settlement.governorate),
            "population": settlement.population,
            "on_latest_list": settlement.on_latest_list,
            "last_listed": local_date(settlement.last_listed),
            "last_confirmed": local_date(settlement.last_confirmed),
            "restoration": [
                [
                    capfirst(Settlement._meta.get_field(field).verbose_name),
                    getattr(settlement, f"get_{field}_display")(),
                ]
                for field in Settlement.RESTORATION
            ],
            "needs": selectors.needs_by_category(settlement.aid_requests.all()),
            "url": reverse("tables:settlement", args=[settlement.pcode]),
            "admin_url": admin_link(request, settlement),
        }
    )


@can_view("camp")
def camp_popup(request, pk):
    camp = get_object_or_404(Camp.objects.select_related("governorate"), pk=pk)
    return JsonResponse(
        {
            **place_names(camp),
            "governorate": local_name(camp.governorate),
            "population": camp.population,
            "population_is_estimate": camp.population_is_estimate,
            "status": camp.get_status_display(),
            "last_assessed": local_date(camp.last_assessed),
            "needs": selectors.needs_by_category(camp.aid_requests.all()),
            "url": reverse("tables:camp", args=[camp.pk]),
            "admin_url": admin_link(request, camp),
        }
    )


# The layers the map fetches when it opens with no filter (static/js/map.js, load()).
FIRST_VIEW = [
    (settlement_points, "map:settlements", {}),
    (camp_points, "map:camps", {}),
    (area_shapes, "map:areas", {"level": "1"}),
]


def warm_first_view() -> None:
    """Build the layers the map (and the dashboard's map) opens with, for the data as it now is, so that
    the first coordinator after a write does not wait for them (the worker's settlements.warm_dashboard runs this).

    Each is asked of its own view, so it is cached under the very key and with the very body a
    visitor would get; `inspect.unwrap` leaves out the login check, which a worker has no user for."""
    factory = RequestFactory()
    for view, name, params in FIRST_VIEW:
        inspect.unwrap(view)(factory.get(reverse(name), params))
