"""Large spreadsheets built by a real Celery worker for the coordinator who asked: the page says the
export is being prepared, shows its progress, and the file is theirs alone, for a limited time."""

import datetime
import io
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from settlements.exports import formats
from settlements.exports.models import ExportJob
from settlements.exports.services import delete_expired_exports
from settlements.models import AidRequest
from settlements.roles import COORDINATOR
from tests import factories
from tests.browser import log_in, screenshot
from tests.conftest import start_celery_worker, stop
from tests.test_import_task import wait_for

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exports(settings, tmp_path):
    """Spreadsheets of more than 5 rows go to the background, on a queue of this test's own."""
    settings.EXPORT_BACKGROUND_ROWS = 5
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.EXPORT_QUEUE = f"exports-{uuid.uuid4().hex[:8]}"
    return settings


@pytest.fixture
def requests_for_food(gazetteer):
    settlement = factories.settlement("C2663")
    food = [factories.aid_request(settlement=settlement, quantity=10 + i) for i in range(8)]
    factories.aid_request(settlement=settlement, category=AidRequest.Category.WATER)
    return food


@pytest.fixture
def worker(exports):
    proc = start_celery_worker(exports.EXPORT_QUEUE, EXPORT_DIR=str(exports.EXPORT_DIR))
    yield proc
    stop(proc)


def coordinator(client, username="farah"):
    user = factories.user(role=COORDINATOR, username=username)
    client.force_login(user)
    return user


def test_a_small_spreadsheet_still_comes_straight_back(client, exports, requests_for_food):
    coordinator(client)
    exports.EXPORT_BACKGROUND_ROWS = 100

    response = client.get(reverse("tables:requests"), {"export": "xlsx", "category": "food"})

    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert not ExportJob.objects.exists()


def test_a_large_spreadsheet_is_prepared_in_the_background_for_the_person_who_asked(
    client, exports, requests_for_food, worker
):
    user = coordinator(client)

    asked = client.get(reverse("tables:requests"), {"export": "xlsx", "category": "food", "sort": "-quantity"})
    again = client.get(reverse("tables:requests"), {"export": "xlsx", "category": "food", "sort": "-quantity"})

    job = ExportJob.objects.get()  # asking twice while it is prepared gives the same export
    assert asked.status_code == again.status_code == 302
    assert asked["Location"] == again["Location"] == reverse("exports:detail", args=[job.token])
    assert (job.user, job.table, job.parameters) == (user, "requests", {"category": ["food"], "sort": ["-quantity"]})
    page = client.get(asked["Location"]).content.decode()
    assert "Your export is being prepared" in page or "Download the spreadsheet" in page
    wait_for(lambda: client.get(reverse("exports:status", args=[job.token])).json()["status"] == "ready", 60, "it")

    status = client.get(reverse("exports:status", args=[job.token])).json()
    download = client.get(status["download"])
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert (status["rows_done"], status["rows_total"], status["percent"]) == (8, 8, 100)
    assert rows[0][0] == "ID" and {row[0] for row in rows[1:]} == {r.pk for r in requests_for_food}
    assert 'filename="aidtrack-requests-' in download["Content-Disposition"]
    assert "category-food" in download["Content-Disposition"]
    assert job.token.hex in client.get(reverse("exports:list")).content.decode().replace("-", "")


def test_nobody_else_sees_or_downloads_an_export(client, exports, requests_for_food, worker):
    coordinator(client)
    client.get(reverse("tables:requests"), {"export": "xlsx"})
    job = ExportJob.objects.get()
    wait_for(lambda: ExportJob.objects.get().status == "ready", 60, "the export")

    coordinator(client, username="other")
    urls = [reverse(f"exports:{name}", args=[job.token]) for name in ("detail", "status", "download")]

    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    assert str(job.token) not in client.get(reverse("exports:list")).content.decode()
    client.logout()
    assert all(client.get(url).status_code == 302 for url in urls)  # to the login page


def test_an_export_past_its_lifetime_is_deleted(client, exports, requests_for_food, worker):
    coordinator(client)
    client.get(reverse("tables:requests"), {"export": "xlsx"})
    wait_for(lambda: ExportJob.objects.get().status == "ready", 60, "the export")
    job = ExportJob.objects.get()
    path = exports.EXPORT_DIR / job.file.name
    assert path.is_file() and job.expires_at > timezone.now() + datetime.timedelta(hours=23)

    ExportJob.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    deleted = delete_expired_exports()

    assert deleted == 1 and not path.exists()
    assert ExportJob.objects.get().status == ExportJob.Status.EXPIRED
    assert client.get(reverse("exports:download", args=[job.token])).status_code == 404


def test_progress_is_recorded_as_the_rows_are_written(exports, requests_for_food, monkeypatch):
    """Every CHUNK_ROWS rows the builder says how far it is (the status page reads it each second)."""
    from settlements.tables import REQUESTS

    monkeypatch.setattr(formats, "CHUNK_ROWS", 3)
    seen = []

    formats.xlsx_file(REQUESTS, REQUESTS.rows(AidRequest.objects.order_by("pk")), progress=seen.append)

    assert seen == [3, 6, 9]


@pytest.mark.slow
def test_the_page_shows_progress_then_the_download(page, live_server, exports, requests_for_food, worker):
    factories.user(role=COORDINATOR, username="nour")
    log_in(page, live_server, "nour", then="/requests/?category=food")

    page.click(".exports a:text-is('XLSX')")
    page.wait_for_url(f"{live_server.url}/exports/**")
    assert page.locator("#export-progress").count() == 1
    page.locator("#export-download").wait_for(state="visible", timeout=60_000)
    screenshot(page, "export-ready")

    assert page.locator("#export-progress").get_attribute("value") == "100"
    assert page.locator("#export-status").inner_text() == "ready"
    with page.expect_download() as download:
        page.click("#export-download")
    assert download.value.suggested_filename.startswith("aidtrack-requests-")
    assert page.locator("#export-waiting").is_hidden()
