"""Reads shared by pages, the API and exports: querysets and summary figures."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db import connection
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from settlements.filters import stale_before
from settlements.models import (
    AidRequest,
    Camp,
    ImportRun,
    ListEntry,
    Settlement,
    format_quantity,
)
from settlements.places import local_name


@dataclass
class ImportFreshness:
    last_success: ImportRun | None
    stale: bool
    age_hours: float | None


def import_freshness() -> ImportFreshness:
    """The last import that succeeded (or found nothing new), and whether it is too old to trust."""
    done = [ImportRun.Status.SUCCEEDED, ImportRun.Status.UNCHANGED]
    last = ImportRun.objects.filter(status__in=done).order_by("-finished_at").first()
    if last is None:
        return ImportFreshness(None, True, None)
    age = timezone.now() - last.finished_at
    return ImportFreshness(
        last, age > datetime.timedelta(hours=settings.IMPORT_STALE_HOURS), age.total_seconds() / 3600
    )


def review_queue():
    return ListEntry.objects.filter(outcome=ListEntry.Outcome.REVIEW)


# What the import page can list of a list's rows, from its stored entries.
ROW_OUTCOME_VIEWS = {
    "problems": Q(outcome__in=[ListEntry.Outcome.ERROR, ListEntry.Outcome.REVIEW]) | ~Q(warnings=[]),
    "error": Q(outcome=ListEntry.Outcome.ERROR),
    "review": Q(outcome=ListEntry.Outcome.REVIEW),
    "warning": ~Q(warnings=[]),
    "all": Q(),
}


def row_outcomes(snapshot, show: str = "problems"):
    """A list's rows as the import took them, in source order; `show` is a key of ROW_OUTCOME_VIEWS."""
    condition = ROW_OUTCOME_VIEWS.get(show, ROW_OUTCOME_VIEWS["problems"])
    return snapshot.entries.filter(condition).select_related("settlement").order_by("row")


def need_priority(target: str):
    """SQL for the priority of a settlement's or camp's most urgent open need (0 when none is open)."""
    open_needs = (
        AidRequest.objects.filter(**{target: OuterRef("pk")}, status__in=AidRequest.OPEN_STATUSES)
        .order_by()
        .values(target)
        .annotate(top=Max("priority"))
        .values("top")
    )
    return Coalesce(Subquery(open_needs), 0)


def geojson_collection(queryset, *, properties: dict[str, str], precision: int = 5) -> str:
    """A GeoJSON FeatureCollection of `queryset`'s `location` points, built by PostgreSQL.

    `properties` maps each feature property to a column of `queryset.values()`; the feature id
    is the primary key.
    """
    rows = queryset.order_by().annotate(geometry_json=AsGeoJSON("location", precision=precision))
    sql, params = rows.values("pk", "geometry_json", *properties.values()).query.sql_with_params()
    pairs = ", ".join(f"'{name}', t.{column}" for name, column in properties.items())
    # Only code-defined column names go into the SQL text; values travel as parameters.
    wrapped = f"""
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', COALESCE(json_agg(json_build_object(
                'type', 'Feature', 'id', t.pk, 'geometry', t.geometry_json::json,
                'properties', json_build_object({pairs})
            )), '[]'::json)
        )::text
        FROM ({sql}) t
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(wrapped, params)
        return cursor.fetchone()[0]


def settlement_map_data(queryset) -> str:
    """Map points: p = most urgent open need (0-4), l = on the latest list, s = stale."""
    rows = queryset.annotate(need=need_priority("settlement"), stale=Q(last_confirmed__lt=stale_before()))
    return geojson_collection(rows, properties={"p": "need", "l": "on_latest_list", "s": "stale"})


def restoration_map_data(queryset, field: str) -> str:
    """Settlements whose `field` (one of Settlement.RESTORATION) a list or staff reported: v = the value."""
    known = queryset.exclude(**{field: ""}).annotate(status=F(field))
    return geojson_collection(known, properties={"v": "status"})


def camp_map_data(queryset) -> str:
    """Camp points: p = most urgent open need, n = population, c = closed."""
    rows = queryset.annotate(need=need_priority("camp"), closed=Q(status=Camp.Status.CLOSED))
    return geojson_collection(rows, properties={"p": "need", "n": "population", "c": "closed"})


def needs_by_category(requests) -> list[dict]:
    """Open needs summed per category and unit: requested, delivered, gap, pledged, uncovered."""
    totals = (
        requests.filter(status__in=AidRequest.OPEN_STATUSES)
        .progress_by("category", "unit")
        .order_by("category", "unit")
    )
    labels = dict(AidRequest.Category.choices)
    units = dict(AidRequest.Unit.choices)
    return [
        {
            "category": labels[row["category"]],
            "unit": units[row["unit"]],
            "count": row["count"],
            "requested": format_quantity(row["requested_sum"]),
            "delivered": format_quantity(row["delivered_sum"]),
            "gap": format_quantity(row["gap_sum"]),
            "pledged": format_quantity(row["pledged_sum"]),
            "uncovered": format_quantity(row["uncovered_sum"]),
        }
        for row in totals
    ]


def coverage_by_governorate() -> list[dict]:
    """Tonnes requested and delivered per governorate, cancelled requests left out, with the
    governorate's names in both scripts (`local_name` picks the page's)."""
    requests = (
        AidRequest.objects.exclude(status=AidRequest.Status.CANCELLED)
        .filter(unit=AidRequest.Unit.TONNES)
        .with_progress()
        .annotate(
            name_en=Coalesce("settlement__governorate__name_en", "camp__governorate__name_en"),
            name_ar=Coalesce("settlement__governorate__name_ar", "camp__governorate__name_ar"),
        )
        .order_by()
        .values("name_en", "name_ar")
        .annotate(requested=Sum("quantity"), delivered=Sum("delivered"))
        .order_by("-requested", "name_en")
    )
    return list(requests)


def headline_figures() -> dict:
    """The dashboard's numbers: who is listed, who is in camps, what is needed and what arrived.

    The same in every language: names and labels are chosen when shown (`governorate_chart`)."""
    by_governorate = coverage_by_governorate()  # one pass over the tonnes gives the totals too
    requested = sum((row["requested"] for row in by_governorate), Decimal(0))
    delivered = sum((row["delivered"] for row in by_governorate), Decimal(0))
    open_by_category = (
        AidRequest.objects.filter(status__in=AidRequest.OPEN_STATUSES)
        .order_by()
        .values("category")
        .annotate(count=Count("pk"))
        .order_by("-count", "category")
    )
    labels = dict(AidRequest.Category.choices)
    return {
        "settlements_listed": Settlement.objects.filter(on_latest_list=True).count(),
        "people_in_camps": Camp.objects.filter(status=Camp.Status.OPEN).aggregate(n=Sum("population"))["n"] or 0,
        "open_by_category": [
            {"category": row["category"], "label": labels[row["category"]], "count": row["count"]}
            for row in open_by_category
        ],
        "open_requests": sum(row["count"] for row in open_by_category),
        "tonnes_requested": requested,
        "tonnes_delivered": delivered,
        "coverage": round(100 * delivered / requested, 1) if requested else None,
        "by_governorate": by_governorate,
    }


def governorate_chart(by_governorate: list[dict]) -> list[dict]:
    """The dashboard chart's bars: each governorate in the page's language."""
    return [
        {"governorate": local_name(row), "requested": float(row["requested"]), "delivered": float(row["delivered"])}
        for row in by_governorate
    ]


def most_critical_needs(limit: int = 10):
    """The open requests to look at first: most urgent, then the biggest gap."""
    return (
        AidRequest.objects.filter(status__in=AidRequest.OPEN_STATUSES)
        .with_progress()
        .select_related("settlement__governorate", "camp__governorate")
        .order_by("-priority", "-gap", "needed_by", "pk")[:limit]
    )
