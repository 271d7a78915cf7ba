"""Governorates, districts and sub-districts on the map: outlines, figures, filters."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from settlements import gazetteer
from settlements.areas.drawing import draw_areas, write_outlines
from settlements.models import AdminArea, Pledge, Settlement
from tests import factories
from tests.test_map import features

pytestmark = pytest.mark.django_db


def areas(client, **params):
    return {f["properties"]["pcode"]: f for f in features(client.get(reverse("map:areas"), params))}


def test_every_governorate_and_district_has_an_outline_and_sub_districts_are_drawn_approximate():
    outlined = AdminArea.objects.exclude(boundary=None)
    assert outlined.filter(level=1).count() == 14
    assert outlined.filter(level=2).count() == 62
    assert outlined.filter(level=3).count() == 270  # two sub-districts have no community to draw from
    assert not outlined.filter(level=3, boundary_is_approximate=False).exists()
    # Official district outlines, but for Qadmous (created after 2015) and Banyas, which it was cut from.
    assert set(outlined.filter(level=2, boundary_is_approximate=True).values_list("pcode", flat=True)) == {
        "SY1002",
        "SY1006",
    }
    banyas, qadmous = AdminArea.objects.get(pcode="SY1002"), AdminArea.objects.get(pcode="SY1006")
    assert banyas.boundary.intersection(qadmous.boundary).area < 0.001 * qadmous.boundary.area


def test_nearly_every_community_lies_in_its_drawn_sub_district_and_its_district():
    communities = Settlement.objects.exclude(sub_district=None).select_related("sub_district", "district")
    total = communities.count()
    inside_sub_district = sum(1 for s in communities if s.sub_district.boundary.contains(s.location))
    inside_district = sum(1 for s in communities if s.district.boundary.contains(s.location))
    assert total == 5251
    assert inside_sub_district / total > 0.98
    assert inside_district / total > 0.98


def test_the_shipped_drawn_outlines_are_what_draw_areas_draws_from_the_shipped_gazetteer(tmp_path):
    redrawn = tmp_path / "drawn.geojson"
    write_outlines(draw_areas(gazetteer.official_boundaries()), redrawn)

    shipped = gazetteer.read_outlines(gazetteer.DATA_DIR / gazetteer.DRAWN_GEOJSON, "pcode")
    fresh = gazetteer.read_outlines(redrawn, "pcode")
    assert set(fresh) == set(shipped)
    for pcode, outline in fresh.items():
        assert outline.valid, pcode
        assert outline.sym_difference(shipped[pcode]).area < 0.01 * outline.area, pcode


def test_districts_carry_the_figures_the_map_shades_them_by(coordinator_client):
    qaryatein, hawarin = factories.settlement("C2663"), factories.settlement("C2664")  # both in Homs district
    Settlement.objects.filter(pk=qaryatein.pk).update(on_latest_list=True, population=25000)
    Settlement.objects.filter(pk=hawarin.pk).update(on_latest_list=True, population=1500)
    camp = factories.camp(population=40000, near_settlement=qaryatein)
    food = factories.aid_request(settlement=qaryatein, quantity=100)
    factories.delivery(food, "30", delivered_on=timezone.localdate() - datetime.timedelta(days=9))
    Pledge.objects.create(organization=factories.organization(), request=food, quantity=70, unit="t")
    factories.aid_request(camp=camp, quantity=10)
    factories.aid_request(settlement=factories.settlement("C3315"), unit="kits", quantity=7)

    districts = areas(coordinator_client, level=2)

    assert len(districts) == 62
    homs = districts["SY0401"]["properties"]
    assert homs["name_en"] == "Homs" and homs["parent"] == "SY04" and homs["approximate"] is False
    assert homs["listed"] == 2  # on the latest list, whatever their needs
    assert homs["people"] == 25000 + 40000  # Hawarin has no open request; the camp counts where it is near
    assert (homs["open"], homs["tonnes"], homs["uncovered"]) == (2, 80.0, 1)  # the food is pledged in full
    assert homs["organizations"] == 1 and homs["days_since_delivery"] == 9
    salamiyeh = districts["SY0503"]["properties"]
    assert (salamiyeh["open"], salamiyeh["tonnes"], salamiyeh["uncovered"]) == (1, 0.0, 1)
    assert salamiyeh["days_since_delivery"] is None  # nothing delivered there yet
    assert districts["SY0705"]["properties"]["open"] == 0
    assert districts["SY0401"]["geometry"]["type"] == "MultiPolygon"


def test_sub_districts_are_marked_approximate_and_a_camp_near_no_settlement_counts_only_in_its_governorate(
    coordinator_client,
):
    factories.aid_request(camp=factories.camp(location=Point(38.68, 33.30, srid=4326)), quantity=10)
    factories.aid_request(settlement=factories.settlement("C2663"), quantity=5)

    sub_districts = areas(coordinator_client, level=3)
    governorates = areas(coordinator_client)

    assert len(sub_districts) == 270
    assert all(f["properties"]["approximate"] for f in sub_districts.values())
    assert sub_districts["SY040106"]["properties"]["open"] == 1
    assert sum(f["properties"]["open"] for f in sub_districts.values()) == 1
    assert governorates["SY04"]["properties"]["open"] == 2


def test_the_tables_filters_apply_and_a_chosen_area_narrows_the_outlines(coordinator_client):
    factories.aid_request(settlement=factories.settlement("C2663"), quantity=100)
    factories.aid_request(settlement=factories.settlement("C2663"), category="water", quantity=5)
    factories.aid_request(settlement=factories.settlement("C3315"), quantity=7)

    in_homs = areas(coordinator_client, level=2, governorate="SY04")
    water = areas(coordinator_client, level=2, category="water")
    around_homs_district = areas(coordinator_client, level=1, district="SY0401")
    one_sub_district = areas(coordinator_client, level=3, sub_district="SY040106")

    homs_districts = set(AdminArea.objects.filter(parent__pcode="SY04").values_list("pcode", flat=True))
    assert set(in_homs) == homs_districts and in_homs["SY0401"]["properties"]["open"] == 2
    assert water["SY0401"]["properties"]["open"] == 1 and water["SY0503"]["properties"]["open"] == 0
    assert set(around_homs_district) == {"SY04"}
    assert set(one_sub_district) == {"SY040106"}


@pytest.mark.parametrize("params", [{"level": "4"}, {"level": "districts"}, {"governorate": "SY99"}])
def test_a_level_or_filter_that_means_nothing_is_refused(coordinator_client, params):
    response = coordinator_client.get(reverse("map:areas"), params)
    assert response.status_code == 400


def test_the_tables_take_the_sub_district_an_area_links_to(coordinator_client):
    factories.aid_request(settlement=factories.settlement("C2663"), quantity=100)
    factories.aid_request(settlement=factories.settlement("C2600"), quantity=100)  # Homs district, another one
    factories.aid_request(camp=factories.camp(near_settlement=factories.settlement("C2663")), quantity=10)

    def api(url):
        data = coordinator_client.get(url, {"sub_district": "SY040106", "page_size": 1000}).json()
        return data.get("features") or data["results"]

    settlements, requests, camps = api("/api/settlements/"), api("/api/aid-requests/"), api("/api/camps/")
    page = coordinator_client.get(reverse("tables:settlements"), {"sub_district": "SY040106"})

    in_it = set(Settlement.objects.filter(sub_district__pcode="SY040106").values_list("pcode", flat=True))
    assert {row["properties"]["pcode"] for row in settlements} == in_it
    assert len(requests) == 2 and len(camps) == 1
    assert page.status_code == 200 and "/settlements/C2663/" in page.content.decode()
    assert "/settlements/C2600/" not in page.content.decode()
