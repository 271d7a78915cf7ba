"""Staff at work in the admin, in a real Chromium."""

import pytest

from settlements.models import AidRequest
from settlements.roles import STAFF
from tests import factories
from tests.browser import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_staff_add_a_request_whose_location_is_picked_on_the_map(page, live_server, gazetteer):
    """Under the same strict Content-Security-Policy as every page: the widget's inline scripts run
    by the request's nonce (and the page fixture fails the test on any violation the browser reports)."""
    # A member of one organisation: a new request starts as that organisation's.
    factories.user(role=STAFF, username="huda", member_of=[factories.organization(name="Huda's partner")])
    log_in(page, live_server, "huda")

    response = page.goto(f"{live_server.url}/admin/settlements/aidrequest/add/")
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"].startswith("'self' 'nonce-") and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # The settlement picker searches as staff type, here by P-code.
    page.click("#id_settlement + .select2 .select2-selection")
    page.fill(".select2-search__field", "C3315")
    page.click(".select2-results__option:has-text('Oqeirbat')")
    # Pick the need's exact spot on the map widget: switch on the marker tool, click the map.
    page.click(".leaflet-draw-draw-marker")
    map_box = page.locator("#id_location-map").bounding_box()
    page.mouse.click(map_box["x"] + map_box["width"] / 2, map_box["y"] + map_box["height"] / 2)
    page.select_option("#id_category", "medicine")
    page.fill("#id_quantity", "12.5")
    page.select_option("#id_unit", "t")
    page.select_option("#id_priority", "4")
    page.click("input[name=_save]")

    page.wait_for_url(f"{live_server.url}/admin/settlements/aidrequest/")
    row = page.locator("#result_list tbody tr", has_text="Oqeirbat")
    assert row.count() == 1
    assert "critical" in row.inner_text()
    request = AidRequest.objects.get()
    assert (request.settlement.pcode, request.category, str(request.quantity)) == ("C3315", "medicine", "12.50")
    assert request.location is not None
    # The map opens on Syria, so its centre is a point inside the country.
    assert 32.3 < request.location.y < 37.4 and 35.7 < request.location.x < 42.4
    assert request.created_by.username == "huda"
