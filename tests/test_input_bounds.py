"""Input that cannot break pages: P-codes a URL can carry, map boxes and numbers that are numbers,
downloads with a deadline, and queued imports that read only what they are meant to."""

import http.server
import threading
import time

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from settlements.importing.fetch import FetchError, SourceRefused
from settlements.importing.service import import_from_source, import_list
from settlements.models import AdminArea, ImportRun, ListEntry, Settlement
from settlements.roles import STAFF
from settlements.tasks import import_daily_list
from tests import factories
from tests.conftest import ROOT
from tests.test_api import api_client

pytestmark = pytest.mark.django_db

SAMPLE = ROOT / "settlements/data/samples/settlement-list-2017-09-11.csv"
BAD_PCODES = ["C26/63", "C26 63", "C2663?", "C2663#x", "../C2663", "C2663%2F"]


# --- P-codes --------------------------------------------------------------------------------


@pytest.mark.parametrize("pcode", BAD_PCODES)
def test_the_model_refuses_a_pcode_a_url_could_not_carry(gazetteer, pcode):
    settlement = Settlement.objects.get(pcode="C2663")
    settlement.pcode = pcode

    with pytest.raises(ValidationError) as refused:
        settlement.full_clean()

    assert "letters, digits and hyphens" in str(refused.value.message_dict["pcode"])


@pytest.mark.parametrize("model", [Settlement, AdminArea])
def test_the_database_refuses_one_written_around_the_model(gazetteer, model):
    with pytest.raises(IntegrityError, match="pcode_letters_digits_hyphens"), transaction.atomic():
        model.objects.filter(pk=model.objects.order_by("pk").first().pk).update(pcode="SY 02/1")


def test_the_admin_form_names_the_pcode_field(gazetteer):
    settlement = Settlement.objects.get(pcode="C2663")
    request = RequestFactory().get("/admin/")
    request.user = factories.user(superuser=True)
    form_class = admin.site._registry[Settlement].get_form(request, settlement)
    data = {**form_class(instance=settlement).initial, "pcode": "C26/63"}
    data["location"] = settlement.location.geojson
    data = {k: v.pk if hasattr(v, "pk") else v for k, v in data.items() if v is not None}

    form = form_class(data=data, instance=settlement)

    assert not form.is_valid()
    assert list(form.errors) == ["pcode"], form.errors


def test_the_api_answers_400_for_a_bad_pcode(gazetteer):
    settlement = Settlement.objects.get(pcode="C2663")
    client = api_client(None)
    client.force_authenticate(factories.user(superuser=True))

    response = client.patch(f"/api/settlements/{settlement.pk}/", {"pcode": "C26/63"}, format="json")

    assert response.status_code == 400
    assert "pcode" in response.json()
    assert Settlement.objects.filter(pcode="C2663").exists()


def test_an_import_row_with_a_bad_pcode_is_one_row_error(gazetteer):
    content = "Governorate,Settlement,P-code,Population\nHoms,Qaryatein,C26/63,100\nHoms,Palmyra,C2761,200\n"

    run = import_list(content.encode(), source="list-2017-09-20.csv").run

    entries = {e.row: e for e in ListEntry.objects.filter(snapshot__import_run=run)}
    assert entries[2].outcome == ListEntry.Outcome.ERROR
    assert "P-code: 'C26/63' is not a P-code" in entries[2].message
    assert entries[3].outcome == ListEntry.Outcome.MATCHED


def test_every_gazetteer_pcode_makes_a_settlement_page_url_and_a_bad_one_none(gazetteer, coordinator_client):
    pcodes = list(Settlement.objects.values_list("pcode", flat=True))
    urls = [reverse("tables:settlement", args=[p]) for p in pcodes]

    assert len(set(urls)) == len(pcodes) > 5000
    with pytest.raises(NoReverseMatch):
        reverse("tables:settlement", args=["C26/63"])
    assert coordinator_client.get("/settlements/C26%2F63/").status_code == 404


# --- numbers and boxes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bbox",
    [
        "nan,34,38,35",
        "37,inf,38,35",
        "37,34,-inf,35",
        "37,34,1e400,35",
        "37,34,38,95",
        "-200,34,38,35",
        "38,34,37,35",  # west of east
        "37,36,38,35",  # south of north
        "37,34,38",
        "a,b,c,d",
    ],
)
def test_a_box_that_is_not_one_answers_400(coordinator_client, bbox):
    for layer in ("map:settlements", "map:camps"):
        assert coordinator_client.get(reverse(layer), {"bbox": bbox}).status_code == 400, (layer, bbox)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e400", "99999999999999999999999", "1.5"])
@pytest.mark.parametrize("path", ["/api/deliveries/?request=", "/api/list-entries/?snapshot=", "/api/camps/?priority="])
def test_numeric_filters_answer_400_or_nothing_never_500(value, path):
    client = api_client(STAFF)

    response = client.get(path + value)

    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 200:
        assert response.json()["results"] == []


@pytest.mark.parametrize("value", ["nan", "inf", "99999999999999999999999"])
def test_table_pages_and_popups_take_no_number_that_is_not_one(coordinator_client, value):
    assert coordinator_client.get("/requests/", {"priority": value}).status_code == 400
    assert coordinator_client.get("/requests/", {"page": value}).status_code == 200  # the first page
    assert coordinator_client.get(f"/map/settlements/{value}.json").status_code == 404


# --- downloads and queued imports -----------------------------------------------------------


class Trickle(http.server.BaseHTTPRequestHandler):
    """A server that sends its list a byte at a time, never slow enough for one read to time out."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


def test_a_download_that_never_ends_stops_at_the_deadline(settings):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/list.csv"
    settings.SETTLEMENT_LIST_URL = url
    settings.IMPORT_FETCH_TIMEOUT, settings.IMPORT_FETCH_DEADLINE, settings.IMPORT_FETCH_RETRIES = 1, 2, 0
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="took longer than 2 s"):
            import_from_source(url)
    finally:
        server.shutdown()
        server.server_close()

    assert time.monotonic() - started < 3.5
    assert "IMPORT_FETCH_DEADLINE" in ImportRun.objects.get().error


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (str(SAMPLE), "is not in the uploads folder"),
        ("/etc/passwd", "is not in the uploads folder"),
        ("{uploads}/../../etc/passwd", "is not in the uploads folder"),
        ("https://lists.example.org/other.csv", "is not the configured list"),
    ],
)
def test_a_queued_import_reads_only_the_configured_list_or_an_upload(gazetteer, settings, tmp_path, source, message):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    settings.SETTLEMENT_LIST_URL = "https://lists.example.org/daily.csv"
    source = source.format(uploads=settings.IMPORT_UPLOAD_DIR)

    result = import_daily_list.apply(args=[source])

    assert isinstance(result.result, SourceRefused)
    run = ImportRun.objects.get()
    assert (run.status, run.source) == (ImportRun.Status.FAILED, source)
    assert message in run.error


def test_a_queued_import_reads_a_list_in_the_uploads_folder(gazetteer, settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path
    (tmp_path / SAMPLE.name).write_bytes(SAMPLE.read_bytes())

    summary = import_daily_list.apply(args=[str(tmp_path / SAMPLE.name)]).get()

    assert (summary["status"], summary["rows"]) == (ImportRun.Status.SUCCEEDED, 69)
