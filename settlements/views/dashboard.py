"""The coordinators' front page: the picture in one screen."""

from django.shortcuts import render

from settlements import selectors
from settlements.caching import cached
from settlements.views.common import can_view
from settlements.views.maps import map_config


@can_view("aidrequest")
def dashboard(request):
    # Both read every open request (seconds at a million): built once per data version.
    # Governorate names in the figures are already in the page's language.
    figures = cached("dashboard", "figures", selectors.headline_figures, per_language=True)
    critical = cached("dashboard", "critical", lambda: list(selectors.most_critical_needs()))
    context = {
        "figures": figures,
        "chart": {"governorates": figures["by_governorate"]},
        "critical": critical,
        "freshness": selectors.import_freshness(),
        "map_config": map_config(request),
    }
    return render(request, "dashboard.html", context)
