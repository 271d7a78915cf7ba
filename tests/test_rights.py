"""Partners edit their own records: the rights matrix, route by route (services, admin, API).

Two partner organisations, Alpha and Beta, each with a staff member; a Manager; a coordinator; a
superuser; and a staff member who belongs to no organisation. Alpha's request, pledge and delivery,
a need the daily list created (no organisation), and the organisations themselves.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from settlements import rights, services
from settlements.models import AidRequest, Delivery, Organization, Pledge
from settlements.roles import COORDINATOR, MANAGER, STAFF
from tests import factories

pytestmark = pytest.mark.django_db

ACTORS = ["coordinator", "alpha_staff", "beta_staff", "unattached_staff", "manager", "superuser"]
OWNED = ["alpha_request", "alpha_pledge", "alpha_delivery"]
RECORDS = [*OWNED, "list_need", "alpha"]

# Who may change each record; everyone who may view may see it.
CHANGES = {
    "alpha_request": {"alpha_staff", "manager", "superuser"},
    "alpha_pledge": {"alpha_staff", "manager", "superuser"},
    "alpha_delivery": {"alpha_staff", "manager", "superuser"},
    "list_need": {"manager", "superuser"},
    "alpha": {"alpha_staff", "manager", "superuser"},
}
# Organisations are never deleted but by a superuser (their records point at them).
DELETES = {**CHANGES, "alpha": {"superuser"}}

API = {
    "alpha_request": "aid-requests",
    "alpha_pledge": "pledges",
    "alpha_delivery": "deliveries",
    "list_need": "aid-requests",
    "alpha": "organizations",
}
# A harmless change of each record through the API.
PATCH = {
    "alpha_request": {"description": "checked on site"},
    "alpha_pledge": {"notes": "checked on site"},
    "alpha_delivery": {"notes": "checked on site"},
    "list_need": {"description": "checked on site"},
    "alpha": {"acronym": "ALF"},
}


@pytest.fixture
def world():
    alpha = factories.organization(name="Alpha Relief", acronym="ALPHA")
    beta = factories.organization(name="Beta Aid", acronym="BETA")
    beta_request = factories.aid_request(requesting_organization=beta, quantity=Decimal("500"))
    alpha_request = factories.aid_request(requesting_organization=alpha, quantity=Decimal("300"))
    pledge = Pledge.objects.create(
        organization=alpha, request=beta_request, quantity=Decimal("100"), unit=beta_request.unit
    )
    return {
        "alpha": alpha,
        "beta": beta,
        "beta_request": beta_request,
        "alpha_request": alpha_request,
        "alpha_pledge": pledge,
        "alpha_delivery": factories.delivery(beta_request, "40", delivering_organization=alpha),
        "list_need": factories.aid_request(source=AidRequest.Source.DAILY_LIST, settlement=factories.settlement()),
        "coordinator": factories.user(role=COORDINATOR),
        "alpha_staff": factories.user(role=STAFF, member_of=[alpha]),
        "beta_staff": factories.user(role=STAFF, member_of=[beta]),
        "unattached_staff": factories.user(role=STAFF),
        "manager": factories.user(role=MANAGER),
        "superuser": factories.user(superuser=True),
    }


def fresh(record):
    return type(record).objects.get(pk=record.pk)


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def admin_url(record, view="change"):
    return reverse(f"admin:settlements_{record._meta.model_name}_{view}", args=[record.pk])


# --- the one check --------------------------------------------------------------------------------


@pytest.mark.parametrize("record", RECORDS)
@pytest.mark.parametrize("actor", ACTORS)
def test_the_one_check_decides_change_and_delete(world, actor, record):
    user, obj = world[actor], world[record]

    assert rights.may(user, "change", obj) == (actor in CHANGES[record])
    assert rights.may(user, "delete", obj) == (actor in DELETES[record])
    assert rights.may(user, "view", obj)  # every role sees every organisation's records


# --- services -------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", [*OWNED, "list_need"])
@pytest.mark.parametrize("actor", ACTORS)
def test_services_save_and_delete_only_what_the_user_may(world, actor, record):
    user, obj = world[actor], fresh(world[record])
    obj.notes = obj.description = "checked on site"

    if actor in CHANGES[record]:
        services.save_record(obj=obj, user=user)
        services.delete_record(obj=obj, user=user)
        assert not type(obj).objects.filter(pk=obj.pk).exists()
    else:
        with pytest.raises(PermissionDenied):
            services.save_record(obj=obj, user=user)
        with pytest.raises(PermissionDenied):
            services.delete_record(obj=obj, user=user)
        assert type(obj).objects.filter(pk=obj.pk).exists()


def test_a_member_cannot_hand_a_record_to_another_organisation_or_take_one(world):
    staff = world["alpha_staff"]
    given_away = fresh(world["alpha_pledge"])
    given_away.organization = world["beta"]
    taken = fresh(world["beta_request"])
    taken.requesting_organization = world["alpha"]

    with pytest.raises(PermissionDenied, match="Only members"):
        services.save_record(obj=given_away, user=staff)
    with pytest.raises(PermissionDenied, match="Only members"):
        services.save_record(obj=taken, user=staff)
    assert fresh(world["alpha_pledge"]).organization == world["alpha"]
    assert fresh(world["beta_request"]).requesting_organization == world["beta"]


def test_a_delivery_is_recorded_only_for_an_organisation_one_belongs_to(world):
    beta_request = world["beta_request"]
    today = datetime.date.today()

    with pytest.raises(PermissionDenied):
        services.record_delivery(
            request=beta_request,
            quantity=Decimal("5"),
            delivered_on=today,
            delivering_organization=world["beta"],
            user=world["alpha_staff"],
        )
    made = services.record_delivery(
        request=beta_request,
        quantity=Decimal("5"),
        delivered_on=today,
        delivering_organization=world["alpha"],
        user=world["alpha_staff"],
    )
    assert made.created_by == world["alpha_staff"]


def test_records_added_in_bulk_are_refused_whole_if_one_is_in_anothers_name(world):
    def delivery(organization):
        return Delivery(
            request=world["beta_request"],
            quantity=Decimal("5"),
            unit="t",
            delivered_on=datetime.date.today(),
            delivering_organization=world[organization],
        )

    with pytest.raises(PermissionDenied):
        services.add_records(objs=[delivery("alpha"), delivery("beta")], user=world["alpha_staff"])
    assert Delivery.objects.filter(quantity=Decimal("5")).count() == 0

    services.add_records(objs=[delivery("alpha"), delivery("alpha")], user=world["alpha_staff"])
    assert Delivery.objects.filter(quantity=Decimal("5"), created_by=world["alpha_staff"]).count() == 2


def test_a_status_decided_for_several_requests_is_refused_whole_if_one_is_anothers(world):
    mine, theirs = world["alpha_request"], world["beta_request"]

    with pytest.raises(PermissionDenied):
        services.set_requests_status(requests=[mine, theirs], status=AidRequest.Status.MET, user=world["alpha_staff"])
    assert [fresh(r).status_set_by_staff for r in (mine, theirs)] == [False, False]

    services.set_requests_status(requests=[mine], status=AidRequest.Status.MET, user=world["alpha_staff"])
    assert fresh(mine).status == AidRequest.Status.MET


def test_the_import_and_the_demo_write_as_the_system(world):
    need = fresh(world["list_need"])
    need.description = "from the list"
    services.save_record(obj=need, user=None)
    assert fresh(need).description == "from the list"


# --- admin ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", RECORDS)
@pytest.mark.parametrize("actor", ACTORS)
def test_the_admin_opens_a_record_editable_only_for_those_who_may_change_it(world, actor, record):
    response = admin_client(world[actor]).get(admin_url(world[record]))

    assert response.status_code == 200  # everyone with a role sees everyone's records
    assert response.context["has_change_permission"] == (actor in CHANGES[record])
    assert response.context["has_delete_permission"] == (actor in DELETES[record])


@pytest.mark.parametrize("record", [*OWNED, "list_need"])
@pytest.mark.parametrize("actor", ["beta_staff", "unattached_staff", "coordinator", "alpha_staff", "manager"])
def test_the_admin_deletes_only_what_the_user_may(world, actor, record):
    obj = world[record]

    response = admin_client(world[actor]).post(admin_url(obj, "delete"), {"post": "yes"})

    allowed = actor in DELETES[record]
    assert response.status_code == (302 if allowed else 403)
    assert type(obj).objects.filter(pk=obj.pk).exists() != allowed


def test_the_admin_bulk_delete_refuses_another_organisations_records(world):
    client = admin_client(world["alpha_staff"])
    theirs = factories.delivery(world["beta_request"], "5", delivering_organization=world["beta"])
    mine = world["alpha_delivery"]

    selected = {"action": "delete_selected", "_selected_action": [mine.pk, theirs.pk]}
    url = reverse("admin:settlements_delivery_changelist")

    asked = client.post(url, selected)
    confirmed = client.post(url, {**selected, "post": "yes"})

    assert asked.status_code == 200
    assert "delivery" in asked.context["perms_lacking"]
    assert confirmed.status_code == 403
    assert Delivery.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2


def pledge_form(request_pk, organization_pk, **overrides):
    data = {
        "request": request_pk,
        "organization": organization_pk,
        "quantity": "25",
        "unit": "t",
        "expected_on": "2017-10-01",
        "status": "pledged",
        "notes": "",
    }
    return {**data, **overrides}


def test_the_admin_refuses_a_pledge_for_another_organisation_on_its_field(world):
    client = admin_client(world["alpha_staff"])
    add = reverse("admin:settlements_pledge_add")

    refused = client.post(add, pledge_form(world["beta_request"].pk, world["beta"].pk))
    made = client.post(add, pledge_form(world["beta_request"].pk, world["alpha"].pk))

    assert refused.status_code == 200
    assert "Only members" in str(refused.context["adminform"].form.errors["organization"])
    assert made.status_code == 302
    assert Pledge.objects.filter(organization=world["alpha"], quantity=Decimal("25")).exists()
    assert not Pledge.objects.filter(organization=world["beta"]).exists()


def test_the_admin_starts_a_members_new_record_with_their_organisation(world):
    response = admin_client(world["alpha_staff"]).get(reverse("admin:settlements_delivery_add"))

    assert response.context["adminform"].form.initial["delivering_organization"] == world["alpha"].pk


def test_an_inline_row_of_another_organisation_cannot_be_changed_or_deleted(world):
    """Beta's staff open their own request and try to change, then delete, Alpha's pledge on it."""
    client = admin_client(world["beta_staff"])
    beta_request, pledge = world["beta_request"], world["alpha_pledge"]
    delivery = world["alpha_delivery"]
    form = {
        "settlement": beta_request.settlement_id,
        "camp": "",
        "location": "",
        "category": beta_request.category,
        "quantity": "500",
        "unit": beta_request.unit,
        "priority": beta_request.priority,
        "needed_by": "",
        "requesting_organization": world["beta"].pk,
        "description": "",
        "pledges-TOTAL_FORMS": "1",
        "pledges-INITIAL_FORMS": "1",
        "pledges-0-id": pledge.pk,
        "pledges-0-request": beta_request.pk,
        "pledges-0-organization": world["alpha"].pk,
        "pledges-0-quantity": "999",
        "pledges-0-expected_on": "",
        "pledges-0-status": "pledged",
        "pledges-0-notes": "",
        "deliveries-TOTAL_FORMS": "1",
        "deliveries-INITIAL_FORMS": "1",
        "deliveries-0-id": delivery.pk,
        "deliveries-0-request": beta_request.pk,
        "deliveries-0-quantity": "40",
        "deliveries-0-delivered_on": delivery.delivered_on.isoformat(),
        "deliveries-0-delivering_organization": world["alpha"].pk,
        "deliveries-0-pledge": "",
        "deliveries-0-notes": "",
    }

    changed = client.post(admin_url(beta_request), form)
    deleted = client.post(admin_url(beta_request), {**form, "pledges-0-quantity": "100", "deliveries-0-DELETE": "on"})

    assert changed.status_code == deleted.status_code == 200  # the form again, with the reason
    assert "Only members" in str(changed.context["inline_admin_formsets"][0].formset.errors)
    assert "Only members" in str(deleted.context["inline_admin_formsets"][1].formset.non_form_errors())
    assert fresh(pledge).quantity == Decimal("100")
    assert Delivery.objects.filter(pk=delivery.pk).exists()


def test_the_admin_status_actions_refuse_another_organisations_requests_with_a_message(world):
    client = admin_client(world["alpha_staff"])
    url = reverse("admin:settlements_aidrequest_changelist")
    selected = [world["alpha_request"].pk, world["beta_request"].pk]

    response = client.post(url, {"action": "mark_met", "_selected_action": selected}, follow=True)

    assert "Only members" in response.content.decode()
    assert not AidRequest.objects.filter(pk__in=selected, status=AidRequest.Status.MET).exists()


def test_only_managers_and_superusers_add_organisations_and_decide_their_members(world):
    alpha, staff = world["alpha"], world["alpha_staff"]
    newcomer = factories.user(role=STAFF, username="newcomer")
    form = {"name": alpha.name, "acronym": "ALPHA", "kind": alpha.kind, "members": [staff.pk, newcomer.pk]}

    as_staff = admin_client(staff).post(admin_url(alpha), form)
    assert as_staff.status_code == 302  # the details change; the members field is not theirs to send
    assert set(fresh(alpha).members.all()) == {staff}
    assert admin_client(staff).get(reverse("admin:settlements_organization_add")).status_code == 403

    as_manager = admin_client(world["manager"]).post(admin_url(alpha), form)
    assert as_manager.status_code == 302
    assert set(fresh(alpha).members.all()) == {staff, newcomer}
    assert rights.may(newcomer, "change", world["alpha_request"])
    logged = LogEntry.objects.filter(object_id=str(alpha.pk), user=world["manager"]).get()
    assert "Members" in logged.get_change_message()
    assert admin_client(world["manager"]).get(reverse("admin:settlements_organization_add")).status_code == 200


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", RECORDS)
@pytest.mark.parametrize("actor", ACTORS)
def test_the_api_changes_only_what_the_user_may(world, actor, record):
    obj = world[record]
    url = f"/api/{API[record]}/{obj.pk}/"

    response = api(world[actor]).patch(url, PATCH[record], format="json")

    field, value = next(iter(PATCH[record].items()))
    if actor in CHANGES[record]:
        assert response.status_code == 200, response.content
        assert getattr(fresh(obj), field) == value
    else:
        assert response.status_code == 403, response.content
        assert getattr(fresh(obj), field) != value


@pytest.mark.parametrize("record", [*OWNED, "list_need"])
@pytest.mark.parametrize("actor", ["beta_staff", "unattached_staff", "coordinator", "manager"])
def test_the_api_deletes_only_what_the_user_may(world, actor, record):
    obj = world[record]

    response = api(world[actor]).delete(f"/api/{API[record]}/{obj.pk}/")

    allowed = actor in DELETES[record]
    assert response.status_code == (204 if allowed else 403)
    assert type(obj).objects.filter(pk=obj.pk).exists() != allowed


def test_the_api_refuses_records_made_in_another_organisations_name(world):
    client = api(world["alpha_staff"])
    beta, alpha = world["beta"].pk, world["alpha"].pk
    beta_request = world["beta_request"].pk
    need = {"settlement": "C2663", "category": "water", "quantity": "5", "unit": "t", "priority": 3}
    pledged = {"request": beta_request, "quantity": "10"}
    delivered = {"request": beta_request, "quantity": "10", "unit": "t", "delivered_on": "2017-09-20"}

    refused = [
        client.post("/api/aid-requests/", {**need, "requesting_organization": beta}, format="json"),
        client.post("/api/aid-requests/", need, format="json"),  # no organisation: Managers only
        client.post("/api/pledges/", {**pledged, "organization": beta}, format="json"),
        client.post("/api/deliveries/", {**delivered, "delivering_organization": beta}, format="json"),
        client.patch(f"/api/pledges/{world['alpha_pledge'].pk}/", {"organization": beta}, format="json"),
        client.patch(f"/api/organizations/{beta}/", {"acronym": "MINE"}, format="json"),
        client.post("/api/organizations/", {"name": "Gamma"}, format="json"),
    ]
    made = [
        client.post("/api/aid-requests/", {**need, "requesting_organization": alpha}, format="json"),
        client.post("/api/pledges/", {**pledged, "organization": alpha}, format="json"),
        client.post("/api/deliveries/", {**delivered, "delivering_organization": alpha}, format="json"),
    ]

    assert [r.status_code for r in refused] == [403] * len(refused), [r.content for r in refused]
    assert "Only members" in refused[0].json()["detail"]
    assert "only Managers change it" in refused[1].json()["detail"]
    assert [r.status_code for r in made] == [201] * len(made), [r.content for r in made]
    assert fresh(world["alpha_pledge"]).organization_id == alpha
    assert not Organization.objects.filter(name="Gamma").exists()


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        ("aid-requests", "requesting_organization"),
        ("pledges", "organization"),
        ("deliveries", "delivering_organization"),
        ("organizations", "id"),
    ],
)
def test_staff_read_every_organisations_records(world, resource, field):
    beta = world["beta"]
    Pledge.objects.create(organization=beta, request=world["alpha_request"], quantity=Decimal("5"), unit="t")
    factories.delivery(world["alpha_request"], "5", delivering_organization=beta)

    listed = api(world["unattached_staff"]).get(f"/api/{resource}/")

    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert {row[field] for row in rows} >= {world["alpha"].pk, beta.pk}
