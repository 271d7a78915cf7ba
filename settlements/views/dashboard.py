"""The coordinators' front page: the picture in one screen."""

from django.shortcuts import render

from settlements import selectors
from settlements.caching import cached
from settlements.views.common import can_view
from settlements.views.maps import map_config


@can_view("aidrequest")
def dashboard(request):
    figures, _ = cached("dashboard", "figures", selectors.headline_figures)
    context = {
        "figures": figures,
        "chart": {"governorates": figures["by_governorate"]},
        "critical": selectors.most_critical_needs(),
        "freshness": selectors.import_freshness(),
        "map_config": map_config(request),
    }
    return render(request, "dashboard.html", context)
