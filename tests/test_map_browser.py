"""The map in a real Chromium: what it draws matches the database, and hostile names stay text."""

import datetime

import pytest
from django.contrib.gis.geos import Point

from settlements.models import AdminArea, Settlement
from settlements.roles import COORDINATOR
from tests import factories
from tests.browser import log_in, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def map_status(page) -> dict[str, int]:
    status = page.locator("#map-status[data-shown]")
    status.wait_for()
    return {key: int(status.get_attribute(f"data-{key}")) for key in ("total", "shown", "clusters", "points")}


def test_clusters_and_points_add_up_to_the_settlements_the_filter_selects(page, live_server, gazetteer):
    factories.user(role=COORDINATOR, username="rana")
    factories.aid_request(settlement=factories.settlement("C2663"), priority=4)
    log_in(page, live_server, "rana", then="/map/")

    everything = map_status(page)
    assert everything["total"] == everything["shown"] == Settlement.objects.count()
    # Whole-country view: the drawn clusters really are DOM markers carrying those counts.
    counts = page.locator(".cluster").evaluate_all("nodes => nodes.map(n => Number(n.dataset.count))")
    assert len(counts) == everything["clusters"]
    assert sum(counts) + everything["points"] == everything["shown"]
    screenshot(page, "map-all-settlements")

    page.select_option("select[name=governorate]", "SY07")
    page.wait_for_url("**/map/?governorate=SY07")
    homs_only = map_status(page)
    assert homs_only["total"] == homs_only["shown"] == Settlement.objects.filter(governorate__pcode="SY07").count()
    assert homs_only["total"] < everything["total"]
    assert page.get_attribute("#show-in-table", "href") == "/settlements/?governorate=SY07"

    page.select_option("select[name=priority]", "4")
    critical = map_status(page)
    assert critical["total"] == 0  # Qaryatein's critical need is in Homs (SY04), not Tartous
    page.select_option("select[name=governorate]", "SY04")
    assert map_status(page) == {"total": 1, "shown": 1, "clusters": 0, "points": 1}
    screenshot(page, "map-filtered")


def test_a_popup_shows_a_hostile_name_as_text(page, live_server, gazetteer):
    hostile = "<img src=x onerror=alert(1)>"
    Settlement.objects.create(
        pcode="C99999",
        name_en=hostile,
        name_ar="<script>alert(2)</script>",
        location=Point(37.5, 34.5, srid=4326),
        governorate=AdminArea.objects.get(pcode="SY04"),
        last_confirmed=datetime.date.today(),
    )
    factories.user(role=COORDINATOR, username="rana")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server, "rana", then="/map/?q=C99999")
    assert map_status(page)["points"] == 1

    # Click the point where Leaflet drew it.
    x, y = page.evaluate(
        "() => { const p = window.AidTrack.map.latLngToContainerPoint([34.5, 37.5]); return [p.x, p.y]; }"
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    title = page.locator(".popup-title")
    title.wait_for()
    assert hostile in title.inner_text()
    assert page.locator(".leaflet-popup img").count() == 0
    assert page.locator(".leaflet-popup script").count() == 0
    assert dialogs == []
    screenshot(page, "map-hostile-popup")
