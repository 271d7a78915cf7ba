"""Reads for coordination: who does what where (3W), overlaps, areas nobody covers, and the gap per
area and category.

An organisation is *present* in an area for a category when it pledged or delivered there in the
chosen dates. Pledges, deliveries and requests are first given the same names (`located`): org,
area1..3 (the governorate, district and sub-district P-codes of the settlement or the camp's
nearest settlement), category and on (the date: delivered on, expected on), so one filter set
(`PresenceFilterSet`) filters them all.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import CharField, Count, F, Max, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate

from settlements.caching import cached
from settlements.coordination.models import Pledge
from settlements.models import AdminArea, AidRequest, Delivery, Organization
from settlements.places import local_name

ZERO = Decimal(0)


def _area_paths(prefix: str) -> dict:
    """area1..3 of a request (prefix "") or of what points at one (prefix "request__")."""

    def of(level: str):
        return Coalesce(F(f"{prefix}settlement__{level}__pcode"), F(f"{prefix}camp__near_settlement__{level}__pcode"))

    return {
        "area1": Coalesce(F(f"{prefix}settlement__governorate__pcode"), F(f"{prefix}camp__governorate__pcode")),
        "area2": of("district"),
        "area3": of("sub_district"),
    }


def located(queryset):
    """Pledges, deliveries or requests with the names the presence filters use."""
    model = queryset.model
    if model is AidRequest:
        return queryset.annotate(org=F("requesting_organization"), **_area_paths(""))
    shared = {**_area_paths("request__"), "category": F("request__category")}
    if model is Delivery:
        return queryset.annotate(org=F("delivering_organization"), on=F("delivered_on"), **shared)
    # A pledge is dated by when it is expected, or else by when it was made.
    return queryset.annotate(org=F("organization"), on=Coalesce("expected_on", TruncDate("created_at")), **shared)


def pledges(filterset):
    """Open pledges (pledged, in transit): a cancelled one is nobody's presence, and a delivered
    one is present through its deliveries."""
    return filterset.filter_queryset(located(Pledge.objects.filter(status__in=Pledge.OPEN_STATUSES)))


def deliveries(filterset):
    return filterset.filter_queryset(located(Delivery.objects.all()))


def requests(filterset):
    return filterset.filter_requests(located(AidRequest.objects.all()))


@dataclass
class Presence:
    """One organisation's work in one area for one category, in one unit."""

    organization: Organization
    area: AdminArea
    category: str
    unit: str
    requests: set = field(default_factory=set)  # the requests it pledged or delivered to
    pledges_open: int = 0
    pledged: Decimal = ZERO  # what its open pledges still promise
    deliveries: int = 0
    delivered: Decimal = ZERO
    last_delivered: datetime.date | None = None

    @property
    def requests_answered(self) -> int:
        return len(self.requests)

    def row(self) -> dict:
        """The flat row the page, the API and the exports show: the area with the areas above it."""
        return {
            "organization": self.organization.name,
            "organization_acronym": self.organization.acronym,
            "organization_id": self.organization.pk,
            "area_pcode": self.area.pcode,
            "area_name": local_name(self.area),
            "area_level": self.area.level,
            **admin_levels(self.area),
            "category": self.category,
            "unit": self.unit,
            "requests_answered": self.requests_answered,
            "pledges_open": self.pledges_open,
            "pledged": self.pledged,
            "deliveries": self.deliveries,
            "delivered": self.delivered,
            "last_delivered": self.last_delivered,
        }


def admin_levels(area: AdminArea) -> dict:
    """adm1_pcode, adm1_name ... down to `area`'s own level (its parents read with it)."""
    levels = {}
    while area is not None:
        levels[f"adm{area.level}_pcode"] = area.pcode
        levels[f"adm{area.level}_name"] = local_name(area)
        area = area.parent
    return levels


def presence(filterset) -> list[Presence]:
    """Organisation x area (at the filter set's level) x category, from pledges and deliveries."""
    area = f"area{filterset.area_level}"
    group = ("org", area, "category", "unit")

    def per_group(queryset, **figures):
        answered = ArrayAgg("request", distinct=True)
        return queryset.filter(org__isnull=False).values(*group).annotate(answered=answered, **figures).order_by()

    open_pledges = pledges(filterset)
    promised = per_group(open_pledges, count=Count("pk"), quantity=Sum("quantity"))
    made = per_group(deliveries(filterset), count=Count("pk"), quantity=Sum("quantity"), last=Max("on"))
    # What was delivered against those open pledges, by the pledge's group: what they still promise
    # is their quantity less this (the same rule as the gap's `pledged`).
    arrived = {
        tuple(row[name] for name in group): row["total"]
        for row in Delivery.objects.filter(pledge__in=open_pledges.values("pk"))
        .annotate(org=F("pledge__organization"), **_area_paths("request__"), category=F("request__category"))
        .values(*group)
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    found: dict[tuple, dict] = defaultdict(dict)
    for kind, rows in (("pledges", promised), ("deliveries", made)):
        for row in rows:
            if row[area]:
                found[tuple(row[name] for name in group)][kind] = row
    organizations = Organization.objects.in_bulk({key[0] for key in found})
    areas = AdminArea.objects.select_related("parent__parent").in_bulk({key[1] for key in found}, field_name="pcode")
    result = []
    for (org, pcode, category, unit), kinds in found.items():
        entry = Presence(organizations[org], areas[pcode], category, unit)
        if promised_row := kinds.get("pledges"):
            entry.requests |= set(promised_row["answered"])
            entry.pledges_open = promised_row["count"]
            entry.pledged = max(
                (promised_row["quantity"] or ZERO) - arrived.get((org, pcode, category, unit), ZERO), ZERO
            )
        if made_row := kinds.get("deliveries"):
            entry.requests |= set(made_row["answered"])
            entry.deliveries = made_row["count"]
            entry.delivered = made_row["quantity"] or ZERO
            entry.last_delivered = made_row["last"]
        result.append(entry)
    result.sort(key=lambda e: (e.area.pcode, e.category, e.organization.name.lower(), e.unit))
    return result


@dataclass
class Overlap:
    """Two or more organisations delivering the same category to the same place, each delivery
    less than PRESENCE_OVERLAP_DAYS after the one before."""

    target: str  # the settlement's or camp's name
    target_url_args: tuple  # ("settlement", pcode) or ("camp", pk)
    area_pcode: str
    category: str
    organizations: list[str]
    first: datetime.date
    last: datetime.date

    @property
    def category_label(self) -> str:
        return dict(AidRequest.Category.choices).get(self.category, self.category)

    def row(self) -> dict:
        return {
            "target": self.target,
            "area_pcode": self.area_pcode,
            "category": self.category,
            "organizations": self.organizations,
            "first": self.first,
            "last": self.last,
        }


def overlaps(filterset) -> list[Overlap]:
    """Deliveries of one category to one settlement or camp by different organisations less than
    PRESENCE_OVERLAP_DAYS apart, each run of them once, newest first.

    One statement over the filtered deliveries: a delivery starts a new run when the one before it
    (same place, same category) is PRESENCE_OVERLAP_DAYS or more earlier; a run is an overlap when
    two or more organisations made its deliveries.
    """
    made = (
        deliveries(filterset)
        .filter(org__isnull=False)
        .annotate(
            place=Coalesce(
                "request__settlement__pcode",
                Concat(Value("camp-"), Cast("request__camp_id", CharField())),
                output_field=CharField(),
            )
        )
        .values(
            "on",
            "org",
            "category",
            "area3",
            "place",
            org_name=F("delivering_organization__name"),
            settlement_pcode=F("request__settlement__pcode"),
            camp_id=F("request__camp_id"),
            name_en=Coalesce("request__settlement__name_en", "request__camp__name_en"),
            name_ar=Coalesce("request__settlement__name_ar", "request__camp__name_ar"),
        )
        .order_by()
    )
    inner, params = made.query.sql_with_params()
    sql = f"""
        WITH made AS ({inner}),
        marked AS (
            SELECT *, CASE WHEN "on" - lag("on") OVER w < %s THEN 0 ELSE 1 END AS starts
            FROM made WINDOW w AS (PARTITION BY place, category ORDER BY "on")
        ),
        runs AS (
            SELECT *, sum(starts) OVER (PARTITION BY place, category ORDER BY "on" ROWS UNBOUNDED PRECEDING) AS run
            FROM marked
        )
        SELECT min(settlement_pcode), min(camp_id), min(name_en), min(name_ar), min(area3), category,
               array_agg(DISTINCT org_name ORDER BY org_name), min("on"), max("on")
        FROM runs
        GROUP BY place, category, run
        HAVING count(DISTINCT org) > 1
        ORDER BY max("on") DESC, min(name_en) DESC
    """  # noqa: S608 (the inner query is Django's, its values bound as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, settings.PRESENCE_OVERLAP_DAYS])
        found = cursor.fetchall()
    return [
        Overlap(
            local_name({"name_en": name_en, "name_ar": name_ar}),
            ("settlement", pcode) if pcode else ("camp", camp_id),
            area3 or "",
            category,
            organizations,
            first,
            last,
        )
        for pcode, camp_id, name_en, name_ar, area3, category, organizations, first, last in found
    ]


def uncovered_areas(filterset, present: set[str] | None = None) -> list[dict]:
    """Areas (at the filter set's level) with open needs of priority PRESENCE_PRIORITY or above where
    no organisation pledged or delivered, for any category, in the chosen dates. `present`: the
    P-codes of the areas where someone is, when `presence` has already been read."""
    area = f"area{filterset.area_level}"
    if present is None:
        present = {entry.area.pcode for entry in presence(filterset)}
    urgent = (
        requests(filterset)
        .filter(status__in=AidRequest.OPEN_STATUSES, priority__gte=settings.PRESENCE_PRIORITY)
        .exclude(**{f"{area}__in": present})
        .exclude(**{f"{area}__isnull": True})
        .values(area)
        .annotate(needs=Count("pk"), highest=Max("priority"), categories=ArrayAgg("category", distinct=True))
        .order_by("-highest", "-needs", area)
    )
    rows = list(urgent)
    areas = AdminArea.objects.in_bulk([row[area] for row in rows], field_name="pcode")
    return [
        {
            "area_pcode": row[area],
            "area_name": local_name(areas[row[area]]),
            "needs": row["needs"],
            "highest_priority": row["highest"],
            "categories": sorted(row["categories"]),
        }
        for row in rows
    ]


def gaps_by_area(filterset) -> list[dict]:
    """Requested, delivered, pledged and uncovered per area, category and unit (the gap's one
    definition, `with_progress`, summed), over the needs the area and category filters select."""
    area = f"area{filterset.area_level}"
    rows = list(
        requests(filterset)
        .exclude(status=AidRequest.Status.CANCELLED)
        .exclude(**{f"{area}__isnull": True})
        .progress_by(area, "category", "unit")
        .order_by(area, "category", "unit")
    )
    areas = AdminArea.objects.in_bulk({row[area] for row in rows}, field_name="pcode")
    figures = ("requested", "delivered", "pledged", "uncovered")
    return [
        {
            "area_pcode": row[area],
            "area_name": local_name(areas[row[area]]),
            "category": row["category"],
            "unit": row["unit"],
            "count": row["count"],
            **{name: row[f"{name}_sum"] for name in figures},
        }
        for row in rows
    ]


@dataclass
class Picture:
    """Who does what where for one set of filters: what the page, its map and the API show."""

    level: int
    presence: list[Presence]
    overlaps: list[Overlap]
    uncovered_areas: list[dict]
    gaps: list[dict]


def picture(filterset) -> Picture:
    """The whole picture, cached until the next write (per language: it holds area names)."""
    chosen = sorted((key, values) for key, values in filterset.data.lists() if key in filterset.filters)
    chosen += [("overlap_days", [settings.PRESENCE_OVERLAP_DAYS]), ("priority", [settings.PRESENCE_PRIORITY])]
    parameters = "&".join(f"{key}={value}" for key, values in chosen for value in values)
    return cached("presence", parameters, lambda: _picture(filterset), per_language=True)


def _picture(filterset) -> Picture:
    entries = presence(filterset)
    return Picture(
        level=filterset.area_level,
        presence=entries,
        overlaps=overlaps(filterset),
        uncovered_areas=uncovered_areas(filterset, present={entry.area.pcode for entry in entries}),
        gaps=gaps_by_area(filterset),
    )


def presence_areas(found: Picture) -> list[dict]:
    """Per area of the picture: where it is, which organisations are present, and whether it has
    urgent needs nobody covers; the presence page's map layer."""
    present = defaultdict(set)
    delivered = defaultdict(int)
    for entry in found.presence:
        present[entry.area.pcode].add(entry.organization.acronym or entry.organization.name)
        delivered[entry.area.pcode] += entry.deliveries
    uncovered = {row["area_pcode"]: row for row in found.uncovered_areas}
    pcodes = set(present) | set(uncovered)
    areas = AdminArea.objects.filter(pcode__in=pcodes).exclude(centroid=None)
    return [
        {
            "pcode": area.pcode,
            "name": local_name(area),
            "lon": area.centroid.x,
            "lat": area.centroid.y,
            "organizations": sorted(present.get(area.pcode, ())),
            "deliveries": delivered.get(area.pcode, 0),
            "uncovered_needs": uncovered[area.pcode]["needs"] if area.pcode in uncovered else 0,
        }
        for area in areas.order_by("pcode")
    ]
