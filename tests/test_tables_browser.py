"""Tables and the dashboard in a real Chromium."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from settlements.models import Settlement
from settlements.roles import COORDINATOR
from tests import factories
from tests.browser import log_in, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_coordinator_filters_the_settlements_and_downloads_the_xlsx(page, live_server, gazetteer):
    factories.user(role=COORDINATOR, username="omar")
    log_in(page, live_server, "omar", then="/settlements/")
    page.select_option("select[name=governorate]", "SY14")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/settlements/?*governorate=SY14*")
    expected = Settlement.objects.filter(governorate__pcode="SY14").count()
    assert page.locator(".count").inner_text().startswith(f"{expected:,} rows")
    page.click("text=Population")  # sort by a column header
    page.wait_for_url("**sort=population*")
    screenshot(page, "settlements-table")

    with page.expect_download() as download_info:
        page.click("a:text-is('XLSX')")
    download = download_info.value
    assert download.suggested_filename.endswith("-governorate-SY14-sort-population.xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) - 1 == expected
    assert {row[4] for row in rows[1:]} == {"SY14"}


def test_the_dashboard_draws_its_chart_from_local_files(page, live_server, gazetteer):
    factories.aid_request(settlement=factories.settlement("C2663"), quantity=100)
    factories.user(role=COORDINATOR, username="omar")
    assets = []  # every script and stylesheet the page loads (basemap tiles are the only outside requests)
    page.on("request", lambda r: assets.append(r.url) if r.resource_type in ("script", "stylesheet") else None)
    log_in(page, live_server, "omar", then="/")
    page.wait_for_function(
        "() => window.Chart && Object.values(Chart.instances).some((c) => c.canvas.id === 'gap-chart')"
    )
    assert page.locator(".headline").first.is_visible()
    # The small map shades all 14 governorates from AidTrack's own outlines.
    page.locator("#dashboard-map[data-areas='14']").wait_for()
    assert page.locator("#dashboard-map path.leaflet-interactive").count() == 14
    screenshot(page, "dashboard")
    assert any("chart.umd.min.js" in url for url in assets)
    assert all(url.startswith(live_server.url) for url in assets), assets
