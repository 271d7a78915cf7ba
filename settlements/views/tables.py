"""Tables, detail pages and their exports: the numbers behind the map."""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.paginator import Page
from django.db.models import Prefetch
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from settlements.caching import cached
from settlements.corrections import selectors as corrections
from settlements.exports import services as exporting
from settlements.exports.formats import FORMATS, export_response
from settlements.insights import trends
from settlements.models import AidRequest, Camp, Delivery, ListEntry, Pledge, Settlement
from settlements.pagination import EstimatedCountPaginator
from settlements.places import local_name
from settlements.sources import selectors as sources
from settlements.tables import CAMPS, REQUESTS, SETTLEMENTS, Table, stable_order
from settlements.views.common import can_view, canonical_parameters, csv_response, filtered
from settlements.views.maps import admin_link

PAGE_SIZE = 50


def row_link(table: Table, row: dict) -> str:
    if table is SETTLEMENTS:
        return reverse("tables:settlement", args=[row["pcode"]])
    if table is CAMPS:
        return reverse("tables:camp", args=[row["pk"]])
    if row["settlement_id"]:
        return reverse("tables:settlement", args=[row["target_pcode"]])
    return reverse("tables:camp", args=[row["camp_id"]])


def deliveries_by_request(request_ids) -> dict[int, list[Delivery]]:
    found = defaultdict(list)
    deliveries = Delivery.objects.filter(request_id__in=request_ids).select_related("delivering_organization")
    for delivery in deliveries:
        found[delivery.request_id].append(delivery)
    return found


def table_page(request, table: Table, queryset):
    export = request.GET.get("export")
    if export:
        return table_export(request, table, queryset, export)
    # The filters are read only when the page is built: a page served from the cache needs none.
    filterset = SimpleLazyObject(lambda: filtered(table.filterset, request, queryset, strict=False))
    built = cached(
        f"table-block-{table.name}",
        canonical_parameters(request, ignore=("export", "bom")),
        lambda: build_table_page(request, table, filterset, queryset),
        per_language=True,
    )
    page = built.page()
    context = {
        "table": table,
        "page": page,
        "paginator": page.paginator,
        "totals": table.labelled(built.totals),
        "content": built.html,
    }
    return render(request, "tables/table.html", context, status=200 if built.valid else 400)


def table_export(request, table: Table, queryset, export: str):
    """The filtered table as a file: streamed, or prepared by a worker when it is a large spreadsheet."""
    if export not in FORMATS:
        raise BadRequest(f"export must be one of {', '.join(FORMATS)}")
    filterset = filtered(table.filterset, request, queryset)
    if exporting.runs_in_background(export, filterset.qs):
        job = exporting.start_export(
            user=request.user, table=table, export=export, query=request.GET, language=get_language()
        )
        return redirect("exports:detail", token=job.token)
    return export_response(table, table.exported(filterset.qs), export, request.GET.dict())


def visible_columns(table: Table) -> list:
    return [column for column in table.columns if column.key not in ("lat", "lon")]


@dataclass(frozen=True)
class TablePage:
    """One page of a table as it is cached: its rows, their count and totals as plain values, the
    whole table block (filters, totals, header, rows, pages) rendered, and whether the filters
    were valid (the page answers 400 when not). Nothing in it depends on who asks: the navigation
    around it, with the user's name and forms, is rendered for each request."""

    valid: bool
    rows: list[dict]
    number: int
    count: int
    estimated: bool
    totals: dict
    html: str

    def page(self) -> Page:
        paginator = EstimatedCountPaginator.counted(self.count, PAGE_SIZE, estimated=self.estimated)
        return Page(self.rows, self.number, paginator)


def build_table_page(request, table: Table, filterset, queryset) -> TablePage:
    """One page of the table, built once per data version, filters, order, page and language and
    then served from the cache: rendering fifty rows of a dozen cells, the sort links and the
    pages is most of a page's time, and twenty coordinators paging the same list should not each
    pay it. The totals have an entry of their own, shared by every page and order of the same
    filters (Table.cached_totals)."""
    # Page through primary keys alone, then build just this page's rows: PostgreSQL skips the
    # rows before the page without computing their columns (delivered, gap, names).
    ordered = stable_order(filterset.qs)
    paginator = EstimatedCountPaginator(ordered.values_list("pk", flat=True), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page_ids = list(page.object_list)
    found = {row["pk"]: row for row in table.rows(queryset.model.objects.filter(pk__in=page_ids).order_by())}
    rows = [found[pk] for pk in page_ids]
    for row in rows:
        row["url"] = row_link(table, row)
    if table is REQUESTS:
        deliveries = deliveries_by_request(page_ids)
        for row in rows:
            row["deliveries"] = deliveries.get(row["pk"], [])
    totals = table.cached_totals(filterset.qs, request.GET)
    page.object_list = rows
    columns = visible_columns(table)
    shown = [(column, column.shows()) for column in columns]
    # The links keep the filters and order in a fixed order: the block is shared by every request
    # whose parameters differ only in their order.
    query = QueryDict(mutable=True)
    for key, values in sorted(request.GET.lists()):
        if key not in ("page", "export", "bom"):
            query.setlist(key, sorted(values))
    html = render_to_string(
        "tables/_table.html",
        {
            "table": table,
            "filter": filterset,
            "page": page,
            "paginator": paginator,
            "columns": columns,
            "rows": [(row, [(column, shows(row)) for column, shows in shown]) for row in rows],
            "totals": table.labelled(totals),
            "query": query.urlencode(),
            "sort": request.GET.get("sort", ""),
            "exports": FORMATS,
        },
        request=request,
    )
    return TablePage(filterset.is_valid(), rows, page.number, paginator.count, paginator.estimated, totals, html)


@can_view("settlement")
def settlement_table(request):
    return table_page(request, SETTLEMENTS, Settlement.objects.all())


@can_view("camp")
def camp_table(request):
    return table_page(request, CAMPS, Camp.objects.all())


@can_view("aidrequest")
def request_table(request):
    return table_page(request, REQUESTS, AidRequest.objects.all())


def requests_of(target_requests):
    """A target's requests with progress, pledges and deliveries, open ones first."""
    deliveries = Prefetch("deliveries", Delivery.objects.select_related("delivering_organization"))
    pledges = Prefetch("pledges", Pledge.objects.select_related("organization").order_by("expected_on", "pk"))
    requests = (
        target_requests.with_progress().select_related("requesting_organization").prefetch_related(deliveries, pledges)
    )
    open_requests = [r for r in requests if r.status in AidRequest.OPEN_STATUSES]
    closed_requests = [r for r in requests if r.status not in AidRequest.OPEN_STATUSES]
    return open_requests, closed_requests


def point_config(obj) -> dict:
    """What the detail page's small map draws (handed over with json_script)."""
    tiles = {"url": settings.MAP_TILES_URL, "attribution": settings.MAP_TILES_ATTRIBUTION}
    return {"lat": obj.location.y, "lon": obj.location.x, "name": local_name(obj), "tiles": tiles}


@can_view("settlement")
def settlement_detail(request, pcode):
    settlement = get_object_or_404(
        Settlement.objects.select_related("governorate", "district", "sub_district"), pcode=pcode
    )
    open_requests, closed_requests = requests_of(settlement.aid_requests.all())
    listings = (
        ListEntry.objects.filter(settlement=settlement)
        .select_related("snapshot__list_source")
        .order_by("-snapshot__list_date", "row")
    )
    context = {
        "place": settlement,
        "open_requests": open_requests,
        "closed_requests": closed_requests,
        "listings": listings,
        "edits": corrections.edits_of(settlement),
        "corrections": corrections.corrections_of(settlement),
        "conflicts": corrections.open_conflicts(settlement),
        "sources_said": sources.what_sources_said(settlement),
        "disagreements": sources.disagreements_of(settlement),
        "request_history": AidRequest.history.filter(settlement_id=settlement.pk).select_related("history_user")[:50],
        "admin_url": admin_link(request, settlement),
        "point": point_config(settlement),
        "trends": trends_config(trends.settlement_trends(settlement), trends.CHARTS, settlement),
    }
    return render(request, "tables/settlement_detail.html", context)


def trends_config(found: dict, charts: dict, place) -> dict:
    """A place's trends for its page's charts, with the labels in the interface language."""
    if isinstance(place, Settlement):
        csv_url = reverse("tables:settlement-trends", args=[place.pcode])
    else:
        csv_url = reverse("tables:camp-trends", args=[place.pk])
    return {
        **found,
        "charts": {name: {"title": str(title), "figures": figures} for name, (title, figures) in charts.items()},
        "labels": {name: str(label) for name, label in trends.FIGURE_LABELS.items()},
        "restoration": trends.restoration_rows(found) if "statuses" in found else [],
        "restoration_fields": [str(Settlement._meta.get_field(name).verbose_name) for name in Settlement.RESTORATION],
        "csv": csv_url,
    }


def trends_csv(request, found: dict, charts: dict, name: str):
    """One chart's data (?chart=...) as CSV."""
    chart = request.GET.get("chart", "people")
    offered = (*charts, "progress", *(["restoration"] if "statuses" in found else []))
    if chart not in offered:
        raise BadRequest(f"chart must be one of {', '.join(offered)}")
    header, rows = trends.chart_rows(found, chart, charts)
    return csv_response(f"aidtrack-{name}-{chart}.csv", header, rows)


@can_view("settlement")
def settlement_trends_csv(request, pcode):
    settlement = get_object_or_404(Settlement, pcode=pcode)
    return trends_csv(request, trends.settlement_trends(settlement), trends.CHARTS, settlement.pcode)


@can_view("camp")
def camp_trends_csv(request, pk):
    camp = get_object_or_404(Camp, pk=pk)
    return trends_csv(request, trends.camp_trends(camp), trends.CAMP_CHARTS, f"camp-{camp.pk}")


@can_view("camp")
def camp_detail(request, pk):
    camp = get_object_or_404(
        Camp.objects.select_related("governorate", "near_settlement", "managing_organization"), pk=pk
    )
    open_requests, closed_requests = requests_of(camp.aid_requests.all())
    context = {
        "place": camp,
        "open_requests": open_requests,
        "closed_requests": closed_requests,
        "camp_history": camp.history.select_related("history_user")[:50],
        "request_history": AidRequest.history.filter(camp_id=camp.pk).select_related("history_user")[:50],
        "admin_url": admin_link(request, camp),
        "point": point_config(camp),
        "trends": trends_config(trends.camp_trends(camp), trends.CAMP_CHARTS, camp),
    }
    return render(request, "tables/camp_detail.html", context)
