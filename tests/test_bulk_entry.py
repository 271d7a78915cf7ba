"""Bulk entry of deliveries and pledges: upload a CSV or XLSX in the admin, see every row checked,
confirm, and every row is written or none. The daily list's reader reads the file, so row numbers
are the file's own (the CSV line, the sheet row)."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client, override_settings
from django.urls import reverse

from settlements.coordination.models import Pledge
from settlements.models import AidRequest, Delivery
from settlements.roles import COORDINATOR, STAFF
from tests import factories

pytestmark = pytest.mark.django_db

DELIVERIES = reverse("admin:settlements_delivery_upload")
PLEDGES = reverse("admin:settlements_pledge_upload")


@pytest.fixture
def world():
    alpha = factories.organization(name="Alpha Relief", acronym="ALPHA")
    beta = factories.organization(name="Beta Aid", acronym="BETA")
    food = factories.aid_request(quantity=Decimal("100"), requesting_organization=beta)
    kits = factories.aid_request(quantity=Decimal("500"), unit=AidRequest.Unit.KITS, category="nfi")
    pledge = Pledge.objects.create(organization=alpha, request=food, quantity=Decimal("30"), unit="t")
    staff = factories.user(role=STAFF, username="samira", member_of=[alpha])
    client = Client()
    client.force_login(staff)
    return {
        "alpha": alpha,
        "beta": beta,
        "food": food,
        "kits": kits,
        "pledge": pledge,
        "staff": staff,
        "client": client,
    }


def upload(client, url, content: bytes, name="deliveries.csv"):
    handed = io.BytesIO(content)
    handed.name = name
    return client.post(url, {"file": handed})


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def confirm(client, url, response):
    return client.post(url, {"confirm": response.context["token"]}, follow=True)


def test_staff_preview_then_write_deliveries_with_their_authorship_and_the_requests_progress(world):
    food, kits, pledge = world["food"], world["kits"], world["pledge"]
    content = csv_bytes(
        "Request ID,Quantity delivered,Delivered on,Organisation,Pledge,Notes",
        f"{food.pk},30,2017-09-20,ALPHA,{pledge.pk},first convoy",
        f"{food.pk},12.5,21.09.2017,Alpha Relief,,",
        f"{kits.pk},200,2017-09-22,,,kits from the warehouse",  # no organisation: the uploader's only one
    )

    previewed = upload(world["client"], DELIVERIES, content)

    preview = previewed.context["preview"]
    assert previewed.status_code == 200 and preview.ready
    assert [row.number for row in preview.rows] == [2, 3, 4]
    assert dict(preview.columns)["Delivered on"] == "delivered_on"
    assert not Delivery.objects.exists()  # a preview writes nothing

    done = confirm(world["client"], DELIVERIES, previewed)

    assert "3 deliveries written from deliveries.csv" in done.content.decode()
    written = Delivery.objects.order_by("pk")
    assert [(d.request_id, d.quantity, d.delivering_organization) for d in written] == [
        (food.pk, Decimal("30"), world["alpha"]),
        (food.pk, Decimal("12.5"), world["alpha"]),
        (kits.pk, Decimal("200"), world["alpha"]),
    ]
    assert {d.created_by for d in written} == {world["staff"]}
    assert written[1].delivered_on == datetime.date(2017, 9, 21) and written[2].unit == "kits"
    assert {d.history.get().history_user for d in written} == {world["staff"]}
    food.refresh_from_db()
    pledge.refresh_from_db()
    assert food.status == AidRequest.Status.PARTIALLY_MET
    assert pledge.status == Pledge.Status.DELIVERED  # 30 of 30 delivered against it


def test_every_bad_row_is_named_by_its_line_and_nothing_is_written(world):
    food, kits = world["food"], world["kits"]
    content = csv_bytes(
        "request,quantity,delivered_on,organization,unit",
        f"{food.pk},10,2017-09-20,ALPHA,t",
        "",  # a blank line: skipped, never renumbering what follows
        "999999,10,2017-09-20,ALPHA,",
        f"{food.pk},-3,2017-09-20,ALPHA,",
        f"{food.pk},10,2017-09-20,BETA,",
        f"{kits.pk},10,2017-09-20,ALPHA,t",
        f"{food.pk},10,someday,Gamma,",
    )

    response = upload(world["client"], DELIVERIES, content)

    preview = response.context["preview"]
    errors = {row.number: " ".join(row.errors) for row in preview.rows if row.errors}
    assert set(errors) == {4, 5, 6, 7, 8}
    assert "No aid request has ID 999999" in errors[4]
    assert "above zero" in errors[5]
    assert "Only members" in errors[6]  # another organisation's name
    assert "counted in kits" in errors[7]
    assert "not a date" in errors[8] and "No organisation is called 'Gamma'" in errors[8]
    assert response.context["token"] is None
    assert 'id="confirm-upload"' not in response.content.decode()
    assert "5 rows have errors" in response.content.decode()
    assert not Delivery.objects.exists()


def test_pledges_from_a_sheet_with_russian_headers(world):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Сводка обязательств"])  # a title row above the header, as field sheets have
    sheet.append(["Номер запроса", "Количество", "Ожидается", "Организация", "Статус"])
    sheet.append([world["food"].pk, 40, datetime.datetime(2017, 10, 1), "ALPHA", "in transit"])
    sheet.append([world["kits"].pk, 100, None, "ALPHA", ""])
    handed = io.BytesIO()
    book.save(handed)

    previewed = upload(world["client"], PLEDGES, handed.getvalue(), name="pledges.xlsx")

    preview = previewed.context["preview"]
    assert preview.ready, [row.errors for row in preview.rows]
    assert [row.number for row in preview.rows] == [3, 4]  # the sheet's own rows
    confirm(world["client"], PLEDGES, previewed)
    made = Pledge.objects.filter(created_by=world["staff"]).order_by("pk")
    assert [(p.request_id, p.quantity, p.status, p.expected_on) for p in made] == [
        (world["food"].pk, Decimal("40"), Pledge.Status.IN_TRANSIT, datetime.date(2017, 10, 1)),
        (world["kits"].pk, Decimal("100"), Pledge.Status.PLEDGED, None),
    ]
    assert made[1].unit == "kits"


def test_a_change_between_preview_and_confirm_writes_nothing(world):
    content = csv_bytes(
        "request,quantity,delivered_on,organization",
        f"{world['kits'].pk},10,2017-09-20,ALPHA",
        f"{world['food'].pk},10,2017-09-20,ALPHA",
    )
    previewed = upload(world["client"], DELIVERIES, content)
    assert previewed.context["preview"].ready
    world["alpha"].members.remove(world["staff"])  # a Manager takes the uploader off Alpha meanwhile

    done = confirm(world["client"], DELIVERIES, previewed)

    assert not Delivery.objects.exists()
    assert "Only members" in done.content.decode()
    assert not done.context["preview"].ready


def test_a_delivery_already_recorded_is_a_warning_not_an_error(world):
    factories.delivery(
        world["food"], "10", delivered_on=datetime.date(2017, 9, 20), delivering_organization=world["alpha"]
    )
    content = csv_bytes(
        "request,quantity,delivered_on,organization",
        f"{world['food'].pk},10,2017-09-20,ALPHA",
        f"{world['kits'].pk},5,2017-09-20,ALPHA",
        f"{world['kits'].pk},5,2017-09-20,ALPHA",
    )

    preview = upload(world["client"], DELIVERIES, content).context["preview"]

    assert preview.ready
    warnings = {row.number: " ".join(row.warnings) for row in preview.rows}
    assert "already recorded" in warnings[2]
    assert "appears 2 times" in warnings[3] and "appears 2 times" in warnings[4]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (csv_bytes("request,delivered_on", "1,2017-09-20"), "d.csv", "no column for quantity"),
        (b"", "d.csv", "file is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "d.csv", "not text"),
        (csv_bytes("request,quantity,delivered_on", *["1,2,2017-09-20"] * 3), "d.csv", "at most 2 (BULK_MAX_ROWS)"),
    ],
)
@override_settings(BULK_MAX_ROWS=2)
def test_a_file_that_cannot_be_taken_fails_with_a_message(world, content, name, message):
    response = upload(world["client"], DELIVERIES, content, name=name)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert response.context["preview"] is None


def test_a_sheet_declaring_a_million_columns_fails_fast(world):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["request", "quantity", "delivered_on"])
    sheet.cell(row=2, column=1_000_000 // 100, value="x")  # the workbook declares its width
    handed = io.BytesIO()
    book.save(handed)

    response = upload(world["client"], DELIVERIES, handed.getvalue(), name="wide.xlsx")

    assert "columns" in " ".join(response.context["form"].errors["file"])


def test_coordinators_cannot_upload_and_a_preview_belongs_to_its_uploader(world):
    coordinator = Client()
    coordinator.force_login(factories.user(role=COORDINATOR))
    assert coordinator.get(DELIVERIES).status_code == 403
    content = csv_bytes("request,quantity,delivered_on", f"{world['kits'].pk},5,2017-09-20")
    previewed = upload(world["client"], DELIVERIES, content)
    other = Client()
    other.force_login(factories.user(role=STAFF, member_of=[world["alpha"]]))

    taken = other.post(DELIVERIES, {"confirm": previewed.context["token"]}, follow=True)

    assert "expired" in taken.content.decode()
    assert not Delivery.objects.exists()


def test_the_changelist_links_to_the_upload_and_its_template(world):
    changelist = world["client"].get(reverse("admin:settlements_delivery_changelist"))
    template = world["client"].get(reverse("admin:settlements_pledge_upload_template"))

    assert DELIVERIES in changelist.content.decode()
    assert template.content.decode().splitlines()[0].split(",")[:4] == [
        "request",
        "quantity",
        "unit",
        "expected_on",
    ]
