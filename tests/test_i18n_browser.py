"""Arabic in a real Chromium: the switcher, right-to-left layout, the map's controls and popups."""

import pytest

from settlements.models import Settlement
from settlements.roles import COORDINATOR
from tests import factories
from tests.browser import log_in, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


@pytest.fixture
def arabic_page(page, live_server, gazetteer):
    """A coordinator who picked Arabic with the switcher in the top bar."""
    request = factories.aid_request(settlement=factories.settlement("C2663"), quantity=120)
    factories.delivery(request, quantity="45")
    factories.user(role=COORDINATOR, username="layla")
    log_in(page, live_server, "layla", then="/")
    page.click(".languages button[value=ar]")
    page.wait_for_selector("html[lang=ar][dir=rtl]")
    return page


def test_the_dashboard_reads_right_to_left(arabic_page, live_server):
    page = arabic_page
    page.wait_for_function(
        "() => window.Chart && Object.values(Chart.instances).some((c) => c.canvas.id === 'gap-chart')"
    )

    assert page.locator("h1").inner_text() == "الاحتياجات والاستجابة"
    # Mirrored: the brand sits at the right edge, the navigation runs leftwards from it.
    brand, nav = box(page, ".brand"), box(page, ".topbar nav")
    assert brand["x"] > nav["x"]
    first, last = box(page, ".topbar nav a >> nth=0"), box(page, ".topbar nav a >> nth=5")
    assert first["x"] > last["x"]
    # The chart's legend and axis labels are Arabic; its bars grow from the right.
    chart = page.evaluate(
        "() => { const c = Object.values(Chart.instances).find((c) => c.canvas.id === 'gap-chart');"
        " return {labels: c.data.datasets.map(d => d.label), reverse: c.options.scales.x.reverse}; }"
    )
    assert chart == {"labels": ["المطلوب (طن)", "المُسلَّم (طن)"], "reverse": True}
    screenshot(page, "ar-dashboard")


def test_the_map_puts_its_controls_on_the_mirrored_sides_and_popups_in_arabic(arabic_page, live_server):
    page = arabic_page
    page.goto(f"{live_server.url}/map/?governorate=SY04")
    status = page.locator("#map-status[data-shown]")
    status.wait_for()
    expected = Settlement.objects.filter(governorate__pcode="SY04").count()
    assert status.get_attribute("data-total") == str(expected)
    assert status.inner_text().startswith("يطابق") or status.inner_text().startswith("تطابق")

    map_box = box(page, "#map")
    zoom, legend = box(page, ".leaflet-control-zoom"), box(page, "#legend")
    middle = map_box["x"] + map_box["width"] / 2
    assert zoom["x"] > middle  # zoom on the right
    assert legend["x"] + legend["width"] < middle  # legend on the left
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "تكبير"
    assert page.locator("#legend strong").evaluate("e => getComputedStyle(e).direction") == "rtl"

    # Qaryatein's popup: Arabic labels, the Arabic name first, the P-code kept left to right.
    page.goto(f"{live_server.url}/map/?q=C2663")
    page.locator("#map-status[data-points='1']").wait_for()
    qaryatein = Settlement.objects.get(pcode="C2663")
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.AidTrack.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [qaryatein.location.y, qaryatein.location.x],
    )
    map_box = box(page, "#map")
    page.mouse.click(map_box["x"] + x, map_box["y"] + y)
    popup = page.locator(".leaflet-popup-content .popup")
    popup.wait_for()
    assert popup.locator("h3").inner_text().startswith(qaryatein.name_ar)
    assert popup.locator("dt").first.inner_text() == "الرمز P"
    assert popup.locator("dd").first.get_attribute("dir") == "auto"
    assert popup.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert "التفاصيل" in popup.inner_text()
    screenshot(page, "ar-map-popup")


def test_a_table_aligns_from_the_right_with_numbers_at_the_far_edge(arabic_page, live_server):
    page = arabic_page
    page.goto(f"{live_server.url}/settlements/?governorate=SY04&sort=-population")
    headers = page.locator("table.data th")
    assert headers.first.inner_text().startswith("الرمز P")
    first, second = headers.nth(0).bounding_box(), headers.nth(1).bounding_box()
    assert first["x"] > second["x"]  # the first column is the rightmost
    assert headers.nth(0).evaluate("e => getComputedStyle(e).textAlign") == "start"
    # A P-code and a Latin name inside the Arabic row keep their own direction (isolated by <bdi>).
    cell = page.locator("table.data tbody tr >> nth=0").locator("td >> nth=0")
    assert cell.locator("bdi").count() == 1
    count = Settlement.objects.filter(governorate__pcode="SY04").count()
    assert page.locator(".count").inner_text() == f"{count:,} سطراً"  # n % 100 in 11-99: the singular accusative
    screenshot(page, "ar-settlements-table")
