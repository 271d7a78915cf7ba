"""The coordinators' front page: the picture in one screen."""

from django.core.exceptions import BadRequest
from django.shortcuts import render
from django.urls import reverse

from settlements import selectors
from settlements.filters import AidRequestFilterSet, SettlementFilterSet
from settlements.insights import dashboard as figures_of
from settlements.insights import trends
from settlements.models import AidRequest, Settlement
from settlements.views.common import can_view, canonical_parameters, csv_response, filtered
from settlements.views.maps import map_config


def trends_for(request, *, strict: bool) -> tuple[dict, object]:
    """The dashboard's trends under the request's table filters (`governorate`, `district`, ...)."""
    settlements = filtered(SettlementFilterSet, request, Settlement.objects.all(), strict=strict)
    requests = filtered(AidRequestFilterSet, request, AidRequest.objects.all(), strict=strict)
    parameters = canonical_parameters(request, ignore=trends.NOT_FILTERS)
    return trends.filtered_trends(settlements.qs, requests.qs, parameters=parameters), settlements


@can_view("aidrequest")
def dashboard(request):
    # Both read every open request: cached, and built by a worker after each write (insights.dashboard).
    figures, critical = figures_of.headline(), figures_of.critical()
    over_time, filterset = trends_for(request, strict=False)
    query = request.GET.urlencode()
    context = {
        "figures": figures,
        "chart": {"governorates": selectors.governorate_chart(figures["by_governorate"]), "trends": over_time},
        "trends_filter": filterset,
        "trends_csv": reverse("trends-csv") + (f"?{query}&" if query else "?"),
        "critical": critical,
        "freshness": selectors.import_freshness(),
        "map_config": map_config(request),
    }
    return render(request, "dashboard.html", context)


@can_view("aidrequest")
def trends_csv(request):
    """A dashboard chart's data (?chart=lists or weeks, with the tables' filters) as CSV."""
    chart = request.GET.get("chart", "lists")
    if chart not in trends.TOTALS_COLUMNS:
        raise BadRequest(f"chart must be one of {', '.join(trends.TOTALS_COLUMNS)}")
    over_time, _ = trends_for(request, strict=True)
    header = trends.TOTALS_COLUMNS[chart]
    return csv_response(
        f"aidtrack-trends-{chart}.csv", header, [[row[key] for key in header] for row in over_time[chart]]
    )
