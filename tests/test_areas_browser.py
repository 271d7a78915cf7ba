"""Districts and sub-districts shaded on the map in a real Chromium, in English and Arabic."""

import datetime

import pytest
from django.utils import timezone

from settlements.demo import load_demo_data
from settlements.importing.service import import_list
from settlements.models import Settlement
from settlements.roles import COORDINATOR
from tests import factories
from tests.browser import log_in, screenshot
from tests.paths import ROOT

SAMPLES = ROOT / "settlements" / "data" / "samples"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def click_area(page, lon: float, lat: float) -> None:
    """Click the map at a place (areas draw on a canvas, not as DOM nodes); off any settlement's point."""
    page.evaluate("([lat, lon]) => { window.AidTrack.map.setView([lat, lon], 11, { animate: false }); }", [lat, lon])
    page.wait_for_timeout(300)  # clusters redraw on moveend
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.AidTrack.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    page.locator("#map").click(position={"x": x + 25, "y": y + 25})


@pytest.mark.parametrize("language", ["en", "ar"])
def test_districts_shade_by_a_chosen_figure_with_a_legend_and_lead_to_their_tables(
    page, live_server, gazetteer, language
):
    import_list((SAMPLES / "settlement-list-2017-09-11.csv").read_bytes(), source="settlement-list-2017-09-11.csv")
    load_demo_data()
    qaryatein = factories.settlement("C2663")
    food = factories.aid_request(settlement=qaryatein, quantity=100)
    factories.delivery(food, "30", delivered_on=timezone.localdate() - datetime.timedelta(days=3))
    factories.user(role=COORDINATOR, username="rana")
    log_in(page, live_server, "rana", then="/map/")
    if language == "ar":
        page.click(".languages button[value=ar]")
        page.wait_for_selector("html[lang=ar][dir=rtl]")

    page.select_option("#area-level", "2")
    page.wait_for_selector("#map[data-level='2'][data-areas='62']")
    page.select_option("#area-measure", "listed")
    legend = page.locator("#area-legend[data-measure=listed]")
    legend.wait_for()
    assert int(legend.get_attribute("data-classes")) >= 2
    title = legend.locator("strong").inner_text()
    expected = "المناطق: التجمعات في أحدث قائمة" if language == "ar" else "Districts: settlements on the latest list"
    assert title == expected
    page.wait_for_url("**/map/?level=2&shade=listed")
    screenshot(page, "map-districts" if language == "en" else "ar-map-districts")

    click_area(page, qaryatein.location.x, qaryatein.location.y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert ("حمص" if language == "ar" else "Homs") in popup.inner_text()
    link = popup.get_by_role("link", name="التجمعات في هذه المنطقة" if language == "ar" else "Settlements in this area")
    assert link.get_attribute("href") == "/settlements/?district=SY0401"
    link.click()
    page.wait_for_url("**/settlements/?district=SY0401")
    assert page.locator("select[name=district]").input_value() == "SY0401"
    assert page.locator("table.data tbody tr").count() > 0

    page.goto(f"{live_server.url}/map/?level=3&shade=days_since_delivery")
    page.wait_for_selector("#map[data-level='3'][data-areas='270']")
    days = page.locator("#area-legend[data-measure=days_since_delivery]")
    days.wait_for()
    assert ("لم يسجل أي تسليم" if language == "ar" else "no delivery recorded") in days.inner_text()
    click_area(page, qaryatein.location.x, qaryatein.location.y)
    popup.wait_for()
    page.wait_for_timeout(300)  # the popup fades in
    text = popup.inner_text()
    assert ("تقريبي" if language == "ar" else "Approximate outline") in text
    assert "3" in text
    screenshot(page, "map-sub-districts" if language == "en" else "ar-map-sub-districts")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_restoration_layer_colours_settlements_by_demining_with_a_counting_legend(
    page, live_server, gazetteer, language
):
    for sample in ("settlement-list-2017-09-13-ru.csv", "settlement-list-2017-09-14.csv"):
        assert import_list((SAMPLES / sample).read_bytes(), source=sample).run.status == "succeeded"
    reported = Settlement.objects.exclude(demining="")
    factories.user(role=COORDINATOR, username="rana")
    log_in(page, live_server, "rana", then="/map/")
    if language == "ar":
        page.click(".languages button[value=ar]")
        page.wait_for_selector("html[lang=ar][dir=rtl]")

    page.select_option("#restoration-field", "demining")
    legend = page.locator("#restoration-legend[data-field=demining]")
    legend.wait_for()
    page.wait_for_url("**/map/?restoration=demining")

    assert int(legend.get_attribute("data-count")) == reported.count()
    values = page.locator(".status-marker").evaluate_all("nodes => nodes.map(n => n.dataset.value)")
    assert sorted(values) == sorted(reported.values_list("demining", flat=True))
    cleared = reported.filter(demining="cleared").count()
    expected = f"مطهرة ({cleared})" if language == "ar" else f"cleared ({cleared})"
    assert expected in legend.inner_text()
    screenshot(page, "map-demining" if language == "en" else "ar-map-demining")

    page.select_option("select[name=governorate]", "SY02")
    page.wait_for_selector(f"#restoration-legend[data-count='{reported.filter(governorate__pcode='SY02').count()}']")
