"""The partners' REST API: per resource and role, the same filters and rules as the pages."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from settlements.models import AidRequest, Camp, Delivery, Settlement
from settlements.roles import COORDINATOR, STAFF
from tests import factories

pytestmark = pytest.mark.django_db


def api_client(role: str | None) -> APIClient:
    client = APIClient()
    if role:
        member_of = [factories.staff_organization()] if role == STAFF else []
        token = Token.objects.create(user=factories.user(role=role, member_of=member_of))
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def coordinator():
    return api_client(COORDINATOR)


@pytest.fixture
def staff():
    return api_client(STAFF)


RESOURCES = [
    "settlements",
    "camps",
    "admin-areas",
    "organizations",
    "aid-requests",
    "deliveries",
    "import-runs",
    "list-snapshots",
    "list-entries",
]


@pytest.mark.parametrize("resource", RESOURCES)
def test_anonymous_callers_get_nothing(resource):
    response = APIClient().get(f"/api/{resource}/")
    assert response.status_code == 401


@pytest.mark.parametrize("resource", RESOURCES)
def test_coordinators_read_every_resource(coordinator, resource):
    response = coordinator.get(f"/api/{resource}/")
    assert response.status_code == 200, response.content[:300]


def test_a_user_without_a_role_is_refused():
    assert api_client(None).get("/api/settlements/").status_code == 401
    client = APIClient()
    client.force_authenticate(factories.user())
    assert client.get("/api/settlements/").status_code == 403


def test_settlements_come_as_geojson_with_the_page_filters(coordinator):
    factories.aid_request(settlement=factories.settlement("C2663"), category="medicine")
    data = coordinator.get("/api/settlements/", {"category": "medicine"}).json()
    assert data["type"] == "FeatureCollection"
    [feature] = data["features"]
    assert feature["properties"]["pcode"] == "C2663"
    assert feature["properties"]["governorate"] == "SY04"
    assert feature["geometry"]["type"] == "Point"
    by_governorate = coordinator.get("/api/settlements/", {"governorate": "SY14", "page_size": 1000}).json()
    assert len(by_governorate["features"]) == Settlement.objects.filter(governorate__pcode="SY14").count()


def test_cursor_pages_walk_through_every_row_once(coordinator):
    seen, url = [], "/api/settlements/?governorate=SY13&page_size=100&ordering=-population"
    while url:
        data = coordinator.get(url).json()
        seen += [f["id"] for f in data["features"]]
        url = data["next"]
    assert len(seen) == len(set(seen)) == Settlement.objects.filter(governorate__pcode="SY13").count()


def test_coordinators_cannot_write(coordinator):
    response = coordinator.post("/api/organizations/", {"name": "WFP"}, format="json")
    assert response.status_code == 403


def test_staff_create_a_request_through_the_same_rules_as_the_admin(staff):
    body = {"settlement": "C2663", "category": "food", "quantity": "120.5", "unit": "t", "priority": 4}
    body["requesting_organization"] = factories.staff_organization().pk
    response = staff.post("/api/aid-requests/", body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["delivered"], response.json()["gap"]) == ("0.00", "120.50")
    request = AidRequest.objects.get(pk=response.json()["id"])
    assert request.settlement.pcode == "C2663" and request.created_by.groups.filter(name=STAFF).exists()
    # Recorded in the edit history under the token's user.
    assert request.history.get().history_user == request.created_by

    both = {**body, "camp": factories.camp().pk}
    refused = staff.post("/api/aid-requests/", both, format="json")
    assert refused.status_code == 400
    assert "exactly one settlement or one camp" in str(refused.json())
    assert staff.post("/api/aid-requests/", {**body, "quantity": "0"}, format="json").status_code == 400


def test_a_delivery_through_the_api_updates_the_request_status(staff):
    request = factories.aid_request(quantity=Decimal("10"))
    ours = factories.staff_organization().pk
    delivered = {"request": request.pk, "quantity": "4", "delivered_on": "2017-09-20", "delivering_organization": ours}
    response = staff.post("/api/deliveries/", {**delivered, "unit": "t"})
    assert response.status_code == 201, response.content
    request.refresh_from_db()
    assert request.status == AidRequest.Status.PARTIALLY_MET
    detail = staff.get(f"/api/aid-requests/{request.pk}/").json()
    assert (detail["delivered"], detail["gap"]) == ("4.00", "6.00")
    wrong_unit = staff.post("/api/deliveries/", {**delivered, "unit": "kits"})
    assert wrong_unit.status_code == 400
    delivery = Delivery.objects.get()
    assert staff.delete(f"/api/deliveries/{delivery.pk}/").status_code == 204
    request.refresh_from_db()
    assert request.status == AidRequest.Status.OPEN


def test_staff_cannot_delete_settlements(staff):
    settlement = factories.settlement()
    assert staff.delete(f"/api/settlements/{settlement.pk}/").status_code in (403, 405)
    assert Settlement.objects.filter(pk=settlement.pk).exists()


def test_staff_update_a_camp_and_history_keeps_both_versions(staff):
    camp = factories.camp(population=1000)
    response = staff.patch(f"/api/camps/{camp.pk}/", {"population": 1500}, format="json")
    assert response.status_code == 200, response.content
    assert [h.population for h in Camp.objects.get(pk=camp.pk).history.all()] == [1500, 1000]
    outside = staff.patch(
        f"/api/camps/{camp.pk}/", {"location": {"type": "Point", "coordinates": [2.35, 48.85]}}, format="json"
    )
    assert outside.status_code == 400 and "outside Syria" in str(outside.json())


def test_requests_export_as_csv_and_hxl_with_the_page_columns(coordinator):
    factories.aid_request(settlement=factories.settlement("C2663"))
    factories.aid_request(settlement=factories.settlement("C3315"), category="water")
    response = coordinator.get("/api/aid-requests/", {"format": "csv", "category": "water"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["P-code"], r["Category"]) for r in rows] == [("C3315", "water")]
    hxl = coordinator.get("/api/aid-requests/", {"format": "hxl"})
    assert b"#activity+id,#loc+name" in b"".join(hxl.streaming_content)


def test_the_schema_and_docs_are_served_to_logged_in_users(coordinator):
    schema = coordinator.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/aid-requests/" in paths and "/api/settlements/{id}/" in paths
    assert coordinator.get(reverse("api:docs")).status_code == 200
    assert APIClient().get("/api/schema/").status_code == 401


def test_each_user_is_throttled_and_redis_down_lets_requests_through(coordinator, monkeypatch, settings):
    from settlements.api.permissions import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})
    assert [coordinator.get("/api/organizations/").status_code for _ in range(4)] == [200, 200, 200, 429]
    settings.CACHES = {
        "default": {
            "BACKEND": "aidtrack.cache.ExpiringRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    assert coordinator.get("/api/organizations/").status_code == 200
