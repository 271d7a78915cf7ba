"""The coordinators' map data: filters, priorities, caching, permissions and query counts."""

import datetime
import gzip
import json
import re

import pytest
from django.contrib.gis.geos import Polygon
from django.test import Client
from django.urls import reverse

from settlements.models import AidRequest, Pledge, Settlement
from settlements.roles import COORDINATOR, STAFF
from tests import factories

pytestmark = pytest.mark.django_db

Priority = AidRequest.Priority


def features(response):
    assert response.status_code == 200, response.content[:300]
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return json.loads(body)["features"]


def points(client, **params):
    return features(client.get(reverse("map:settlements"), params, HTTP_ACCEPT_ENCODING="gzip"))


def test_it_sends_every_settlement_once_as_a_compressed_geojson_point(coordinator_client):
    response = coordinator_client.get(reverse("map:settlements"), HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Encoding"] == "gzip"
    found = features(response)
    assert len(found) == Settlement.objects.count() == len({f["id"] for f in found})
    qaryatein = next(f for f in found if f["id"] == factories.settlement("C2663").pk)
    lon, lat = qaryatein["geometry"]["coordinates"]
    assert 37 < lon < 38 and 34 < lat < 35


def test_it_sends_plain_json_to_a_client_that_does_not_accept_gzip(coordinator_client):
    response = coordinator_client.get(reverse("map:settlements"), {"governorate": "SY04"})
    assert "Content-Encoding" not in response
    assert len(json.loads(response.content)["features"]) == Settlement.objects.filter(governorate__pcode="SY04").count()


def test_a_point_carries_its_most_urgent_open_need_its_listing_and_staleness(coordinator_client):
    listed = factories.settlement("C2663")
    listed.on_latest_list, listed.last_confirmed = True, datetime.date.today()
    listed.save()
    factories.aid_request(settlement=listed, priority=Priority.MEDIUM)
    factories.aid_request(settlement=listed, priority=Priority.CRITICAL, category="medicine")
    # A met need no longer counts as open.
    factories.aid_request(settlement=listed, priority=Priority.CRITICAL, category="water", status="met")
    stale = factories.settlement("C3315")
    stale.last_confirmed = datetime.date.today() - datetime.timedelta(days=8)
    stale.save()
    factories.aid_request(settlement=stale, priority=Priority.LOW, status="met")

    found = {f["id"]: f["properties"] for f in points(coordinator_client, governorate="", q="")}
    assert found[listed.pk] == {"p": 4, "l": True, "s": False}
    assert found[stale.pk] == {"p": 0, "l": False, "s": True}


def test_filters_mean_the_same_on_the_map_as_in_the_tables(coordinator_client):
    homs, hama = factories.settlement("C2663"), factories.settlement("C3315")
    factories.aid_request(settlement=homs, category="food", priority=Priority.HIGH)
    factories.aid_request(settlement=hama, category="medicine", priority=Priority.CRITICAL)
    factories.aid_request(settlement=hama, category="food", priority=Priority.LOW, status="cancelled")

    assert {f["id"] for f in points(coordinator_client, category="food")} == {homs.pk}
    assert {f["id"] for f in points(coordinator_client, priority=4)} == {hama.pk}
    assert {f["id"] for f in points(coordinator_client, priority=3)} == {homs.pk}
    assert {f["id"] for f in points(coordinator_client, status="cancelled")} == {hama.pk}
    assert {f["id"] for f in points(coordinator_client, category="food", governorate="SY05")} == set()
    no_need = points(coordinator_client, priority=0)
    assert len(no_need) == Settlement.objects.count() - 2


def test_search_finds_a_settlement_in_any_script(coordinator_client):
    qaryatein = factories.settlement("C2663")
    assert qaryatein.pk in {f["id"] for f in points(coordinator_client, q=qaryatein.name_ar)}
    assert {f["id"] for f in points(coordinator_client, q="c2663")} == {qaryatein.pk}
    # Russian, transliterated to the key the gazetteer's English name has.
    russian = {f["id"] for f in points(coordinator_client, q="Карьятейн")}
    assert qaryatein.pk in russian and len(russian) < 5


def test_a_bounding_box_keeps_only_the_points_inside_it(coordinator_client):
    inside = points(coordinator_client, bbox="37.0,34.0,38.0,35.0")
    box = Polygon.from_bbox((37.0, 34.0, 38.0, 35.0))
    assert len(inside) == Settlement.objects.filter(location__intersects=box).count() > 0
    assert all(37 <= f["geometry"]["coordinates"][0] <= 38 for f in inside)


def test_a_filter_value_that_means_nothing_is_refused_not_ignored(coordinator_client):
    response = coordinator_client.get(reverse("map:settlements"), {"governorate": "SY99"})
    assert response.status_code == 400
    assert coordinator_client.get(reverse("map:settlements"), {"bbox": "1,2"}).status_code == 400


def test_cached_data_is_rebuilt_after_an_admin_edit(staff_client, django_capture_on_commit_callbacks):
    qaryatein = factories.settlement("C2663")
    before = {f["id"]: f["properties"]["p"] for f in points(staff_client, governorate="SY04")}
    assert before[qaryatein.pk] == 0
    form = {
        "settlement": qaryatein.pk,
        "category": "food",
        "quantity": "5",
        "unit": "t",
        "priority": "4",
        "requesting_organization": factories.staff_organization().pk,
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
        "pledges-TOTAL_FORMS": "0",
        "pledges-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:settlements_aidrequest_add"), form)
    assert response.status_code == 302
    after = {f["id"]: f["properties"]["p"] for f in points(staff_client, governorate="SY04")}
    assert after[qaryatein.pk] == 4


def test_an_unchanged_view_answers_not_modified(coordinator_client):
    first = coordinator_client.get(reverse("map:settlements"), {"governorate": "SY04"})
    again = coordinator_client.get(
        reverse("map:settlements"), {"governorate": "SY04"}, HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert again.status_code == 304


def test_the_map_data_needs_a_login_and_the_view_permission(client):
    url = reverse("map:settlements")
    assert client.get(url).status_code == 302
    client.force_login(factories.user(username="nobody"))
    assert client.get(url).status_code == 403
    assert client.get(reverse("map:settlement-popup", args=[1])).status_code == 403


def test_governorates_carry_open_requests_and_missing_tonnes_by_default(coordinator_client):
    request = factories.aid_request(settlement=factories.settlement("C2663"), quantity=100)
    factories.delivery(request, "30")
    factories.aid_request(camp=factories.camp(governorate=factories.governorate("SY04")), quantity=10)
    factories.aid_request(settlement=factories.settlement("C3315"), unit="kits", quantity=7)
    areas = {f["properties"]["pcode"]: f["properties"] for f in features(coordinator_client.get(reverse("map:areas")))}
    assert len(areas) == 14
    assert (areas["SY04"]["open"], areas["SY04"]["tonnes"]) == (2, 80.0)
    assert (areas["SY05"]["open"], areas["SY05"]["tonnes"]) == (1, 0.0)
    only_food_in_camps = features(coordinator_client.get(reverse("map:areas"), {"target": "camp"}))
    assert {f["properties"]["pcode"]: f["properties"]["open"] for f in only_food_in_camps}["SY04"] == 1


def test_governorates_count_the_organisations_working_on_their_open_needs(coordinator_client):
    alpha, beta, gamma = (factories.organization() for _ in range(3))
    need = factories.aid_request(settlement=factories.settlement("C2663"), quantity=100)
    met = factories.aid_request(settlement=factories.settlement("C2663"), quantity=5, status="met")
    factories.delivery(need, "30", delivering_organization=alpha)
    Pledge.objects.create(organization=beta, request=need, quantity=20, unit="t")
    Pledge.objects.create(organization=gamma, request=need, quantity=20, unit="t", status=Pledge.Status.CANCELLED)
    factories.delivery(met, "5", delivering_organization=gamma)  # a need already met: not current work

    areas = {f["properties"]["pcode"]: f["properties"] for f in features(coordinator_client.get(reverse("map:areas")))}

    assert areas["SY04"]["organizations"] == 2
    assert areas["SY05"]["organizations"] == 0


def test_a_popup_gives_the_needs_with_requested_delivered_and_gap(coordinator_client):
    qaryatein = factories.settlement("C2663")
    request = factories.aid_request(settlement=qaryatein, quantity=100)
    factories.delivery(request, "30")
    data = coordinator_client.get(reverse("map:settlement-popup", args=[qaryatein.pk])).json()
    assert data["pcode"] == "C2663" and data["name_ar"] == qaryatein.name_ar
    assert data["needs"] == [
        {
            "category": "food",
            "unit": "tonnes",
            "count": 1,
            "requested": "100",
            "delivered": "30",
            "gap": "70",
            "pledged": "0",
            "uncovered": "70",
        }
    ]
    assert data["url"] == reverse("tables:settlement", args=["C2663"])
    assert data["admin_url"] is None
    staff_client = Client()
    staff_client.force_login(factories.user(role=STAFF))
    staff_data = staff_client.get(reverse("map:settlement-popup", args=[qaryatein.pk])).json()
    assert staff_data["admin_url"] == reverse("admin:settlements_settlement_change", args=[qaryatein.pk])


def test_camps_come_with_population_and_need(coordinator_client):
    camp = factories.camp(name_en="Rukban", population=50000)
    factories.aid_request(camp=camp, priority=Priority.CRITICAL)
    found = features(coordinator_client.get(reverse("map:camps")))
    assert [(f["id"], f["properties"]) for f in found] == [(camp.pk, {"p": 4, "n": 50000, "c": False})]
    popup = coordinator_client.get(reverse("map:camp-popup", args=[camp.pk])).json()
    assert popup["population"] == 50000 and popup["needs"][0]["category"] == "food"


@pytest.mark.parametrize("rows", [2, 40])
def test_each_data_endpoint_runs_a_fixed_number_of_queries(client, django_assert_num_queries, rows):
    client.force_login(factories.user(role=COORDINATOR))
    for settlement in Settlement.objects.order_by("pk")[:rows]:
        factories.aid_request(settlement=settlement)
    for _ in range(rows // 2):
        factories.aid_request(camp=factories.camp())
    # session, user, user and group permissions, then the data in one statement (areas: eight, one
    # per figure, the people of settlements and of camps and the organisations pledging and
    # delivering apart, and the outlines)
    with django_assert_num_queries(5):
        client.get(reverse("map:settlements"), {"category": "food"})
    with django_assert_num_queries(5):
        client.get(reverse("map:camps"))
    for level in (1, 3):
        with django_assert_num_queries(12):
            client.get(reverse("map:areas"), {"level": level})
    popup = reverse("map:settlement-popup", args=[Settlement.objects.order_by("pk").first().pk])
    with django_assert_num_queries(6):
        client.get(popup)


def test_pages_send_a_content_security_policy_without_inline_scripts(coordinator_client):
    for url in ("/", "/map/", "/settlements/", "/requests/", "/imports/"):
        policy = coordinator_client.get(url)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'", url
        assert "unsafe-inline" not in policy
        assert directives["img-src"].startswith("'self' data: https://")


def test_the_admin_runs_under_the_policy_with_a_nonce_only_for_the_map_widget(client):
    from django_celery_beat.models import PeriodicTask

    client.force_login(factories.user(superuser=True))
    plain = client.get("/admin/")["Content-Security-Policy"]
    assert dict(part.strip().split(" ", 1) for part in plain.split(";"))["script-src"] == "'self'"

    task = PeriodicTask.objects.get(task="settlements.import_daily_list")
    for url in ("/admin/settlements/camp/add/", f"/admin/django_celery_beat/periodictask/{task.pk}/change/"):
        response = client.get(url)
        policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(?!\s*</script>)", response.content.decode())
        inline = [attributes for attributes in inline if "application/json" not in attributes]
        if url.endswith("/camp/add/"):  # django-leaflet's widget: two inline scripts, both with the nonce
            nonce = re.fullmatch(r"'self' 'nonce-([^']+)'", policy["script-src"]).group(1)
            assert inline == [f' nonce="{nonce}"'] * 2
        else:  # django-celery-beat's form script now comes from a static file
            assert inline == [], url
        assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_the_open_need_indexes_hold_exactly_the_open_statuses():
    """Migration 0027's partial indexes serve the map's colours only while their condition is the
    query's: they name the open statuses, which must stay AidRequest.OPEN_STATUSES."""
    conditions = [index.condition for index in AidRequest._meta.indexes if index.name.startswith("aidrequest_open_")]
    assert len(conditions) == 2
    for condition in conditions:
        assert sorted(dict(condition.children)["status__in"]) == sorted(AidRequest.OPEN_STATUSES)
