"""Who does what where (3W): organisation x area x category from pledges and deliveries, overlaps,
areas nobody covers, the gap per area and category; the page, its exports, its map layer and the API.

The world: Alpha and Beta deliver food to Qaryatein (Homs) five days apart (an overlap); Alpha
delivers there again a month later; Alpha pledges water to Ar-Rastan's need (Beta's pledge there
was cancelled); a critical need in Aleppo and a low one in Daraa have nobody.
"""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import override_settings
from django.urls import reverse

from settlements import services
from settlements.caching import data_changed
from settlements.coordination.models import Pledge
from settlements.demo import load_demo_data
from settlements.models import AidRequest, Settlement
from settlements.roles import COORDINATOR
from tests import factories
from tests.browser import log_in, screenshot
from tests.test_api import api_client

pytestmark = pytest.mark.django_db

DAY = datetime.date(2017, 9, 1)
FOOD, WATER = AidRequest.Category.FOOD, AidRequest.Category.WATER


def days(n):
    return DAY + datetime.timedelta(days=n)


@pytest.fixture
def world():
    alpha = factories.organization(name="Alpha Relief", acronym="ALPHA")
    beta = factories.organization(name="Beta Aid", acronym="BETA")
    qaryatein = factories.settlement("C2663")
    other = (
        Settlement.objects.filter(governorate=qaryatein.governorate)
        .exclude(district=qaryatein.district)
        .order_by("pcode")
        .first()
    )
    aleppo = Settlement.objects.filter(governorate__pcode="SY02").order_by("pcode").first()
    daraa = Settlement.objects.filter(governorate__pcode="SY12").order_by("pcode").first()
    food = factories.aid_request(settlement=qaryatein, category=FOOD, quantity=Decimal("100"))
    water = factories.aid_request(settlement=other, category=WATER, quantity=Decimal("80"))
    factories.aid_request(settlement=aleppo, priority=AidRequest.Priority.CRITICAL)
    factories.aid_request(settlement=daraa, priority=AidRequest.Priority.LOW)
    factories.delivery(food, "40", delivered_on=days(0), delivering_organization=alpha)
    factories.delivery(food, "20", delivered_on=days(5), delivering_organization=beta)
    factories.delivery(food, "10", delivered_on=days(30), delivering_organization=alpha)
    Pledge.objects.create(organization=alpha, request=water, quantity=Decimal("50"), unit="t", expected_on=days(10))
    Pledge.objects.create(
        organization=beta, request=water, quantity=Decimal("30"), unit="t", status=Pledge.Status.CANCELLED
    )
    return {
        "alpha": alpha,
        "beta": beta,
        "qaryatein": qaryatein,
        "other": other,
        "aleppo": aleppo,
        "daraa": daraa,
        "food": food,
        "water": water,
    }


@pytest.fixture
def coordinator():
    return api_client(COORDINATOR)


def presence(client, **params):
    response = client.get("/api/presence/", params)
    assert response.status_code == 200, response.content
    return response.json()


def by_key(rows):
    return {(row["organization_acronym"], row["area_pcode"], row["category"]): row for row in rows}


def test_each_organisation_is_shown_per_area_and_category_with_what_it_pledged_and_delivered(world, coordinator):
    body = presence(coordinator)
    rows = by_key(body["rows"])
    district, other_district = world["qaryatein"].district.pcode, world["other"].district.pcode

    assert body["level"] == 2
    assert set(rows) == {("ALPHA", district, "food"), ("BETA", district, "food"), ("ALPHA", other_district, "water")}
    alpha_food = rows["ALPHA", district, "food"]
    assert (alpha_food["requests_answered"], alpha_food["deliveries"], alpha_food["delivered"]) == (1, 2, "50.00")
    assert alpha_food["last_delivered"] == days(30).isoformat()
    assert (alpha_food["adm1_pcode"], alpha_food["adm2_pcode"]) == ("SY04", district)
    water = rows["ALPHA", other_district, "water"]
    # The cancelled pledge is nobody's presence; the open one is, with what it still promises.
    assert (water["pledges_open"], water["pledged"], water["deliveries"]) == (1, "50.00", 0)


def test_presence_filters_by_organisation_area_category_and_dates(world, coordinator):
    district = world["qaryatein"].district.pcode

    assert {r["organization_acronym"] for r in presence(coordinator, organization=world["beta"].pk)["rows"]} == {"BETA"}
    assert {r["category"] for r in presence(coordinator, category="water")["rows"]} == {"water"}
    assert {r["area_pcode"] for r in presence(coordinator, district=district)["rows"]} == {district}
    assert presence(coordinator, governorate="SY02")["rows"] == []
    late = by_key(presence(coordinator, **{"from": days(20).isoformat()})["rows"])
    assert set(late) == {("ALPHA", district, "food")}
    assert late["ALPHA", district, "food"]["delivered"] == "10.00"
    early = by_key(presence(coordinator, to=days(3).isoformat())["rows"])
    assert set(early) == {("ALPHA", district, "food")}


def test_presence_groups_by_governorate_district_or_sub_district(world, coordinator):
    governorates = by_key(presence(coordinator, level=1)["rows"])
    sub_districts = by_key(presence(coordinator, level=3)["rows"])

    assert ("ALPHA", "SY04", "food") in governorates and ("ALPHA", "SY04", "water") in governorates
    assert ("ALPHA", world["qaryatein"].sub_district.pcode, "food") in sub_districts
    assert "adm3_pcode" in sub_districts["ALPHA", world["qaryatein"].sub_district.pcode, "food"]
    assert presence(coordinator, level=1)["rows"][0].keys() >= {"adm1_pcode", "adm1_name"}


def test_two_organisations_delivering_the_same_thing_to_the_same_place_within_a_fortnight_overlap(world, coordinator):
    overlaps = presence(coordinator)["overlaps"]

    assert len(overlaps) == 1
    overlap = overlaps[0]
    assert (overlap["target"], overlap["category"]) == (world["qaryatein"].name_en, "food")
    assert overlap["organizations"] == ["Alpha Relief", "Beta Aid"]
    assert (overlap["first"], overlap["last"]) == (days(0).isoformat(), days(5).isoformat())
    with override_settings(PRESENCE_OVERLAP_DAYS=5):
        assert presence(coordinator)["overlaps"] == []  # five days apart is no longer "within"


def test_areas_with_urgent_needs_and_nobody_present_are_flagged(world, coordinator):
    uncovered = {row["area_pcode"]: row for row in presence(coordinator)["uncovered_areas"]}

    aleppo_district = world["aleppo"].district.pcode
    assert set(uncovered) == {aleppo_district}  # Daraa's need is low; Homs' districts have organisations
    assert (uncovered[aleppo_district]["needs"], uncovered[aleppo_district]["highest_priority"]) == (1, 4)
    with override_settings(PRESENCE_PRIORITY=1):
        flagged = {row["area_pcode"] for row in presence(coordinator)["uncovered_areas"]}
    assert flagged == {aleppo_district, world["daraa"].district.pcode}


def test_the_gap_is_totalled_per_area_and_category(world, coordinator):
    gaps = {(g["area_pcode"], g["category"]): g for g in presence(coordinator, level=1)["gaps"]}

    homs_food = gaps["SY04", "food"]
    assert (homs_food["requested"], homs_food["delivered"], homs_food["pledged"], homs_food["uncovered"]) == (
        "100.00",
        "70.00",
        "0.00",
        "30.00",
    )
    homs_water = gaps["SY04", "water"]
    assert (homs_water["pledged"], homs_water["uncovered"]) == ("50.00", "30.00")
    assert gaps["SY02", "food"]["uncovered"] == "100.00"


def test_a_filter_that_means_nothing_is_a_400_not_everything(world, coordinator):
    for params in ({"level": "7"}, {"governorate": "SY99"}, {"from": "yesterday"}, {"category": "gold"}):
        assert coordinator.get("/api/presence/", params).status_code == 400, params
    assert api_client(None).get("/api/presence/").status_code == 401


def test_the_api_costs_the_same_queries_for_one_organisation_or_many(world, coordinator, django_assert_max_num_queries):
    presence(coordinator)  # sessions, permissions and caches warmed
    for n in range(6):
        org = factories.organization()
        factories.delivery(world["food"], "1", delivered_on=days(40 + n), delivering_organization=org)
    data_changed()  # as every write through the services does
    with django_assert_max_num_queries(16):
        body = presence(coordinator)
    assert len(body["rows"]) == 9


def test_the_picture_is_cached_until_the_next_write(
    world, coordinator, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    presence(coordinator)
    with django_assert_max_num_queries(6):  # session, user, permissions: the picture is the cache's
        presence(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        services.record_delivery(
            request=world["water"], quantity=Decimal("5"), delivered_on=days(12), delivering_organization=world["beta"]
        )

    rows = by_key(presence(coordinator)["rows"])
    assert rows["BETA", world["other"].district.pcode, "water"]["delivered"] == "5.00"


def test_the_page_shows_presence_overlaps_uncovered_areas_and_gaps(world, coordinator_client):
    response = coordinator_client.get(reverse("presence:page"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Alpha Relief" in page and "Beta Aid" in page
    assert 'id="overlap-list"' in page and world["qaryatein"].name_en in page
    assert world["aleppo"].district.name_en in page  # an area nobody covers
    assert (
        response.context["uncovered"][0]["requests_query"]
        == f"district={world['aleppo'].district.pcode}&uncovered=true"
    )
    assert coordinator_client.get(reverse("presence:page"), {"level": "9"}).status_code == 400


def test_the_page_lists_the_newest_overlaps_and_says_how_many_there_are(world, coordinator_client, monkeypatch):
    from settlements.views import presence as presence_views

    monkeypatch.setattr(presence_views, "LISTED", 0)  # the one overlap is more than the page lists

    page = coordinator_client.get(reverse("presence:page")).content.decode()

    assert "The newest 0 of 1 overlaps" in page


def test_the_page_exports_csv_xlsx_and_hxl_of_what_it_shows(world, coordinator_client):
    url = reverse("presence:page")

    hxl = list(
        csv.reader(io.StringIO(b"".join(coordinator_client.get(url, {"export": "hxl"}).streaming_content).decode()))
    )
    plain = list(
        csv.reader(io.StringIO(b"".join(coordinator_client.get(url, {"export": "csv"}).streaming_content).decode()))
    )
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(coordinator_client.get(url, {"export": "xlsx"}).streaming_content))
    )

    assert {"#org+name", "#org+acronym", "#adm1+code", "#adm2+code", "#sector", "#reached+quantity"} <= set(hxl[1])
    assert "#adm3+code" not in hxl[1]  # grouped by district: no sub-district columns
    assert len(hxl) == 2 + 3 and len(plain) == 1 + 3
    assert plain[0][0] == "Organisation"
    rows = list(sheet.active.iter_rows(values_only=True))
    assert len(rows) == 1 + 3 and "Beta Aid" in {row[0] for row in rows}
    only_beta = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    coordinator_client.get(url, {"export": "csv", "organization": world["beta"].pk}).streaming_content
                ).decode()
            )
        )
    )
    assert [row[0] for row in only_beta[1:]] == ["Beta Aid"]
    assert coordinator_client.get(url, {"export": "pdf"}).status_code == 400


def test_the_map_layer_has_a_point_per_area_with_who_is_present_and_what_nobody_covers(world, coordinator_client):
    response = coordinator_client.get(reverse("presence:areas"))

    assert response["Content-Type"] == "application/geo+json"
    features = {f["properties"]["pcode"]: f for f in response.json()["features"]}
    district = world["qaryatein"].district
    assert features[district.pcode]["properties"]["organizations"] == ["ALPHA", "BETA"]
    assert features[district.pcode]["geometry"]["coordinates"] == pytest.approx(
        [district.centroid.x, district.centroid.y]
    )
    aleppo = features[world["aleppo"].district.pcode]["properties"]
    assert (aleppo["organizations"], aleppo["uncovered_needs"]) == ([], 1)


def test_people_without_a_role_see_no_presence(world, client):
    client.force_login(factories.user())

    assert client.get(reverse("presence:page")).status_code == 403
    assert client.get(reverse("presence:areas")).status_code == 403


def test_the_demo_data_shows_presence_an_overlap_and_an_uncovered_area(coordinator):
    load_demo_data()

    body = presence(coordinator)

    assert {row["organization_acronym"] for row in body["rows"]} >= {"WFP", "SARC", "WHO"}
    # WFP's pledges less what it delivered against them: Rukban (Tadmor) 200 - 180, Akerbat 150 - 100.
    wfp_food = {r["area_pcode"]: r["pledged"] for r in body["rows"] if r["organization_acronym"] == "WFP"}
    assert wfp_food == {"SY0405": "20.00", "SY0503": "50.00"}
    assert [o["organizations"] for o in body["overlaps"]] == [["Syrian Arab Red Crescent", "World Food Programme"]]
    assert body["uncovered_areas"], "the demo's unanswered need in Qaryatein"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_presence_page_in_the_browser(page, live_server, gazetteer, language):
    load_demo_data()
    factories.user(role=COORDINATOR, username="rania")
    log_in(page, live_server, "rania", then=reverse("presence:page"))
    if language == "ar":
        page.click(".languages button[value=ar]")
        page.wait_for_selector("html[lang=ar][dir=rtl]")

    page.wait_for_selector("#presence-map[data-areas]")

    assert int(page.locator("#presence-map").get_attribute("data-areas")) >= 3
    assert page.locator("#presence-map path.leaflet-interactive").count() >= 3
    assert page.locator("#presence tbody tr").count() >= 4
    assert page.locator("#overlap-list tbody tr").count() == 1
    screenshot(page, "presence" if language == "en" else "ar-presence")
