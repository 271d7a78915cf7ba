"""After each write a worker builds the dashboard's figures and the map's first view, so their next
visitor waits for nothing."""

import time
import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse

from settlements import selectors
from settlements.caching import cache_key, data_changed, data_version
from settlements.tables import TOTALS
from settlements.tasks import warm_dashboard
from settlements.views import maps
from tests import factories
from tests.conftest import start_celery_worker, stop


def warmed() -> dict | None:
    return cache.get(cache_key("dashboard", "figures", data_version()))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_after_a_write_a_worker_builds_the_dashboard_and_the_map_and_their_next_visitor_builds_nothing(
    gazetteer, coordinator_client, settings, monkeypatch
):
    settings.CACHE_WARMING_QUEUE, settings.CACHE_WARMING_DELAY = f"warm-{uuid.uuid4().hex[:8]}", 0
    worker = start_celery_worker(settings.CACHE_WARMING_QUEUE)
    try:
        factories.aid_request(settlement=factories.settlement("C2663"), category="food", quantity=120)
        data_changed()  # as every service does once its write is committed
        deadline = time.monotonic() + 60
        while not warmed() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop(worker)

    assert (warmed()["tonnes_requested"], warmed()["open_requests"]) == (120, 1)

    def not_again():
        raise AssertionError("the visitor built the figures the worker had built")

    monkeypatch.setattr(selectors, "headline_figures", not_again)
    monkeypatch.setattr(selectors, "most_critical_needs", not_again)
    monkeypatch.setattr(selectors, "settlement_map_data", not_again)
    monkeypatch.setattr(selectors, "camp_map_data", not_again)
    monkeypatch.setattr(maps, "areas_geojson", not_again)
    monkeypatch.setitem(TOTALS, "requests", not_again)
    page = coordinator_client.get("/")
    assert page.status_code == 200 and page.context["figures"]["tonnes_requested"] == 120
    points = coordinator_client.get(reverse("map:settlements")).json()
    colours = [feature["properties"]["p"] for feature in points["features"] if feature["properties"]["p"]]
    assert colours == [3]  # high, the request's priority
    assert coordinator_client.get(reverse("map:camps")).status_code == 200
    # The dashboard asks for the areas with no level, the map with level=1: the one entry serves both.
    for params in ({}, {"level": "1"}):
        areas = coordinator_client.get(reverse("map:areas"), params).json()
        assert sum(feature["properties"]["open"] for feature in areas["features"]) == 1
    totals = dict(coordinator_client.get(reverse("tables:requests")).context["totals"])
    assert (totals["Tonnes requested"], totals["Open requests"]) == (120, 1)


@pytest.mark.django_db
def test_a_rebuild_for_data_that_changed_again_since_does_nothing():
    version = data_version()
    data_changed()

    assert warm_dashboard(version) == "superseded"
    assert warm_dashboard(data_version()) == "warmed"
    assert warmed() is not None


@pytest.mark.django_db
def test_a_deployment_s_migrate_leaves_what_the_previous_version_cached_behind():
    from django.core.management import call_command

    before = data_version()
    call_command("migrate", verbosity=0)

    assert data_version() != before
