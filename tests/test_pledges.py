"""Pledges, and the gap defined once: delivered, pledged (what open pledges still promise) and
uncovered (what nobody has delivered or promised), wherever a request is shown."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from settlements import services
from settlements.demo import load_demo_data
from settlements.models import AidRequest, Camp, Pledge
from settlements.roles import COORDINATOR, STAFF
from tests import factories
from tests.browser import log_in, screenshot
from tests.test_api import api_client

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2017, 9, 12)


def pledge(request: AidRequest, quantity: str, organization=None, **fields) -> Pledge:
    fields.setdefault("unit", request.unit)
    made = Pledge(request=request, organization=organization or factories.organization(), quantity=Decimal(quantity))
    for name, value in fields.items():
        setattr(made, name, value)
    return services.save_record(obj=made, user=None)


def deliver(request: AidRequest, quantity: str, against: Pledge | None = None):
    return services.record_delivery(
        request=request, quantity=Decimal(quantity), delivered_on=TODAY, pledge=against, user=None
    )


def progress(request: AidRequest) -> tuple[Decimal, ...]:
    """The request's figures, which both views of the one definition (migration 0028) must give alike:
    looked up for this request, and summed in bulk as an export of every request reads them."""
    row = AidRequest.objects.with_progress().get(pk=request.pk)
    figures = row.delivered, row.pledged, row.gap, row.uncovered
    in_bulk = AidRequest.objects.with_progress(in_bulk=True).get(pk=request.pk)
    assert (in_bulk.delivered, in_bulk.pledged, in_bulk.gap, in_bulk.uncovered) == figures
    return figures


# --- 1. pledges ----------------------------------------------------------------------------


def test_a_pledge_moves_on_as_deliveries_are_recorded_against_it(gazetteer):
    need = factories.aid_request(quantity=Decimal("100"))
    promise = pledge(need, "60")
    assert promise.status == Pledge.Status.PLEDGED

    first = deliver(need, "20", against=promise)
    promise.refresh_from_db()
    assert promise.status == Pledge.Status.IN_TRANSIT  # part arrived, the rest on its way

    deliver(need, "40", against=promise)
    promise.refresh_from_db()
    assert promise.status == Pledge.Status.DELIVERED

    services.delete_record(obj=first, user=None)
    promise.refresh_from_db()
    assert promise.status == Pledge.Status.IN_TRANSIT  # no longer all there


def test_a_cancelled_pledge_stays_cancelled(gazetteer):
    need = factories.aid_request(quantity=Decimal("100"))
    promise = pledge(need, "60", status=Pledge.Status.CANCELLED)

    deliver(need, "60", against=promise)

    promise.refresh_from_db()
    assert promise.status == Pledge.Status.CANCELLED


def test_a_pledge_keeps_to_its_request_and_its_unit(gazetteer):
    need, other = factories.aid_request(), factories.aid_request(unit=AidRequest.Unit.KITS)
    promise = pledge(need, "10")

    with pytest.raises(ValidationError) as wrong_request:
        deliver(other, "5", against=promise)
    with pytest.raises(ValidationError) as wrong_unit:
        pledge(need, "5", unit=AidRequest.Unit.KITS)
    with pytest.raises(ValidationError) as not_yet:
        promise.status = Pledge.Status.DELIVERED
        promise.full_clean()

    assert "answers another request" in str(wrong_request.value)
    assert "counted in the request's unit" in str(wrong_unit.value)
    assert "deliveries recorded against it add up" in str(not_yet.value)


def test_a_delivery_against_a_pledge_is_by_the_pledging_organisation_unless_said(gazetteer):
    need = factories.aid_request()
    wfp = factories.organization(name="World Food Programme", acronym="WFP")

    delivery = deliver(need, "5", against=pledge(need, "10", organization=wfp))

    assert delivery.delivering_organization == wfp


def test_pledges_keep_their_history_with_the_editor(gazetteer):
    ours = factories.organization()
    editor = factories.user(role=STAFF, username="samir", member_of=[ours])
    promise = Pledge(
        request=factories.aid_request(),
        organization=ours,
        quantity=Decimal("10"),
        unit="t",
    )
    services.save_record(obj=promise, user=editor)
    promise.status = Pledge.Status.IN_TRANSIT
    services.save_record(obj=promise, user=editor)

    history = list(promise.history.order_by("history_date").values_list("status", "history_user__username"))
    assert history == [("pledged", "samir"), ("in_transit", "samir")]
    assert (promise.created_by, promise.updated_by) == (editor, editor)


# --- 2. the gap ----------------------------------------------------------------------------


def test_delivered_pledged_and_uncovered_follow_one_definition(gazetteer):
    need = factories.aid_request(quantity=Decimal("100"))
    deliver(need, "20")
    promise = pledge(need, "50")
    deliver(need, "10", against=promise)
    pledge(need, "30", status=Pledge.Status.CANCELLED)

    # delivered 30; pledged: 50 promised, 10 of it arrived -> 40; gap 70; uncovered 100 - 30 - 40.
    assert progress(need) == (Decimal("30"), Decimal("40"), Decimal("70"), Decimal("30"))


@pytest.mark.parametrize("status", Pledge.Status.values)
def test_a_pledge_counts_as_promised_exactly_while_its_status_is_open(gazetteer, status):
    """The gap's views (migration 0028) name the open statuses in SQL: they must agree with Pledge.OPEN_STATUSES."""
    need = factories.aid_request(quantity=Decimal("100"))
    promise = pledge(need, "50")
    deliver(need, "10", against=promise)
    Pledge.objects.filter(pk=promise.pk).update(status=status)

    delivered, pledged, gap, uncovered = progress(need)
    promised = Decimal("40") if status in Pledge.OPEN_STATUSES else Decimal("0")
    assert (delivered, pledged, gap, uncovered) == (Decimal("10"), promised, Decimal("90"), 90 - promised)


def test_more_pledged_than_needed_leaves_nothing_uncovered_not_less(gazetteer):
    need = factories.aid_request(quantity=Decimal("100"))
    pledge(need, "80")
    pledge(need, "70")

    assert progress(need) == (Decimal("0"), Decimal("150"), Decimal("100"), Decimal("0"))


def test_a_delivered_pledge_no_longer_counts_as_pledged(gazetteer):
    need = factories.aid_request(quantity=Decimal("100"))
    promise = pledge(need, "40")
    deliver(need, "40", against=promise)

    assert progress(need) == (Decimal("40"), Decimal("0"), Decimal("60"), Decimal("60"))


@pytest.fixture
def covered_and_uncovered(gazetteer):
    homs, hama = factories.settlement("C2663"), factories.settlement("C3315")
    covered = factories.aid_request(settlement=homs, quantity=Decimal("100"))
    pledge(covered, "100")
    uncovered = factories.aid_request(settlement=hama, quantity=Decimal("100"))
    pledge(uncovered, "30")
    return covered, uncovered


def test_the_tables_filter_uncovered_needs_and_export_the_columns(coordinator_client, covered_and_uncovered):
    _, uncovered = covered_and_uncovered

    response = coordinator_client.get(reverse("tables:requests"), {"uncovered": "true", "export": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    settlements = coordinator_client.get(reverse("tables:settlements"), {"uncovered": "true", "export": "csv"})
    places = list(csv.DictReader(io.StringIO(b"".join(settlements.streaming_content).decode())))
    page = coordinator_client.get(reverse("tables:requests")).content.decode()

    assert [(int(r["ID"]), r["Pledged"], r["Uncovered"]) for r in rows] == [(uncovered.pk, "30", "70")]
    assert [p["P-code"] for p in places] == ["C3315"]
    assert "Tonnes nobody covers" in page and "Pledged" in page


def test_the_detail_page_and_the_popup_show_pledges_and_what_is_uncovered(coordinator_client, covered_and_uncovered):
    _, uncovered = covered_and_uncovered
    settlement = uncovered.settlement

    detail = coordinator_client.get(reverse("tables:settlement", args=[settlement.pcode])).content.decode()
    popup = coordinator_client.get(reverse("map:settlement-popup", args=[settlement.pk])).json()

    assert "Uncovered" in detail and "30 tonnes, pledged" in detail
    assert [(n["pledged"], n["uncovered"]) for n in popup["needs"]] == [("30", "70")]


# --- the API -------------------------------------------------------------------------------


def test_staff_pledge_through_the_api_in_the_requests_unit(gazetteer):
    need = factories.aid_request(unit=AidRequest.Unit.KITS, quantity=Decimal("500"))
    org = factories.staff_organization()
    staff = api_client(STAFF)

    made = staff.post("/api/pledges/", {"request": need.pk, "organization": org.pk, "quantity": "200"}, format="json")
    shown = staff.get(f"/api/aid-requests/{need.pk}/").json()

    assert made.status_code == 201, made.json()
    assert (made.json()["unit"], made.json()["status"], made.json()["delivered"]) == ("kits", "pledged", "0")
    assert (shown["pledged"], shown["uncovered"]) == ("200.00", "300.00")


def test_pledges_filter_as_everything_else_and_coordinators_only_read(covered_and_uncovered):
    covered, uncovered = covered_and_uncovered
    Pledge.objects.filter(request=covered).update(status=Pledge.Status.CANCELLED)
    coordinator = api_client(COORDINATOR)

    open_ones = coordinator.get("/api/pledges/", {"open": "true"}).json()["results"]
    in_hama = coordinator.get("/api/pledges/", {"governorate": "SY05"}).json()["results"]
    bad = coordinator.get("/api/pledges/", {"status": "promised"})
    refused = coordinator.post(
        "/api/pledges/", {"request": uncovered.pk, "organization": 1, "quantity": "1"}, format="json"
    )

    assert [p["request"] for p in open_ones] == [uncovered.pk]
    assert [p["request"] for p in in_hama] == [uncovered.pk]
    assert bad.status_code == 400
    assert refused.status_code == 403


# --- the demo ------------------------------------------------------------------------------


def test_the_demo_has_pledges_so_the_gap_columns_show_something(gazetteer):
    load_demo_data()

    rukban_food = AidRequest.objects.with_progress().get(camp__name_en="Rukban", category="food")
    akerbat_food = AidRequest.objects.with_progress().get(camp__name_en="Akerbat", category="food")

    assert Pledge.objects.count() == 3 and Camp.objects.count() == 2
    assert (akerbat_food.delivered, akerbat_food.pledged, akerbat_food.uncovered) == (100, 50, 200)
    assert rukban_food.uncovered == rukban_food.quantity - rukban_food.delivered - rukban_food.pledged > 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_coordinator_sees_a_request_with_a_partial_pledge(page, live_server, gazetteer):
    load_demo_data()
    factories.user(role=COORDINATOR, username="lina")
    akerbat = Camp.objects.get(name_en="Akerbat")
    log_in(page, live_server, "lina", then=reverse("tables:camp", args=[akerbat.pk]))

    food = page.locator("table.data tr", has_text="food").first
    screenshot(page, "request-with-partial-pledge")

    cells = food.locator("td.num").all_inner_texts()
    assert cells[:5] == ["350 tonnes", "100", "250", "50", "200"]  # requested, delivered, gap, pledged, uncovered
    assert "World Food Programme (WFP): 150 tonnes, in transit" in food.inner_text()


def test_the_pledge_list_costs_the_same_queries_for_one_pledge_or_many(gazetteer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    need = factories.aid_request(quantity=Decimal("1000"))
    client = api_client(COORDINATOR)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/pledges/").status_code == 200
        return len(captured)

    deliver(need, "5", against=pledge(need, "10"))
    one = queries_for_list()
    for _ in range(5):
        deliver(need, "5", against=pledge(need, "10"))
    many = client.get("/api/pledges/").json()["results"]

    assert queries_for_list() == one
    assert [p["delivered"] for p in many] == ["5.00"] * 6
