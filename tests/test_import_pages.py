"""/imports/: what coordinators and staff see of the daily imports."""

import datetime
import time
import uuid

import pytest
from django.utils import timezone

from aidtrack.celery import app
from settlements.importing.report import report_csv
from settlements.importing.service import import_from_source, import_list
from settlements.models import ImportRun
from settlements.roles import COORDINATOR, STAFF
from tests import factories
from tests.conftest import start_celery_worker, stop
from tests.paths import DAILY_LISTS

pytestmark = pytest.mark.django_db

SAMPLES = DAILY_LISTS


@pytest.fixture
def coordinator(client):
    client.force_login(factories.user(role=COORDINATOR))
    return client


@pytest.fixture
def staff(client):
    client.force_login(factories.user(role=STAFF))
    return client


def test_it_requires_a_login(client):
    response = client.get("/imports/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_it_lists_runs_with_their_counts_and_errors(coordinator):
    import_from_source(str(SAMPLES / "2017-09-11" / "settlement-list.csv"))
    import_list(b"", source="empty.csv")

    html = coordinator.get("/imports/").content.decode()

    assert "2017-09-11" in html
    assert "The file is empty." in html
    assert html.count('class="badge') == 2


def test_a_run_shows_its_diff_review_rows_and_report(coordinator):
    import_from_source(str(SAMPLES / "2017-09-11" / "settlement-list.csv"))
    run = import_from_source(str(SAMPLES / "2017-09-12" / "settlement-list.csv")).run

    html = coordinator.get(f"/imports/{run.pk}/").content.decode()
    assert "What changed since the previous list" in html
    assert "Abul Eleij" in html  # added on 2017-09-12
    assert "316360" in html  # a changed population

    report = coordinator.get(f"/imports/{run.pk}/report.csv")
    assert report["Content-Disposition"] == 'attachment; filename="aidtrack-reconciliation-2017-09-12.csv"'
    lines = report.content.decode().splitlines()
    assert lines[0] == "row,status,pcode,settlement,score,message"
    assert len(lines) == 71


def test_hostile_list_cells_are_shown_as_text_and_neutralised_in_the_report(coordinator):
    content = b"Governorate,Settlement,P-code\nHama,<script>alert(1)</script>,\n"
    run = import_list(content, source="list-2017-09-20.csv").run

    html = coordinator.get(f"/imports/{run.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    report = coordinator.get(f"/imports/{run.pk}/report.csv").content.decode()
    assert "no confident match for '<script>alert(1)</script>'" in report


def test_the_report_neutralises_spreadsheet_formulas():
    csv_text = report_csv([[1, "review", "", "", "0", '=HYPERLINK("http://x")'], [2, "review", "", "", "", "+1"]])

    assert "'=HYPERLINK" in csv_text
    assert ",'+1" in csv_text


def test_a_stale_last_import_is_warned_about(coordinator):
    run = import_from_source(str(SAMPLES / "2017-09-11" / "settlement-list.csv")).run
    ImportRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - datetime.timedelta(hours=40))

    assert "figures may be out of date" in coordinator.get("/imports/").content.decode()

    ImportRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - datetime.timedelta(hours=2))
    assert "figures may be out of date" not in coordinator.get("/imports/").content.decode()


def test_coordinators_cannot_start_an_import(coordinator, settings):
    settings.SETTLEMENT_LIST_URL = "https://lists.example.org/daily.csv"

    assert "Import now" not in coordinator.get("/imports/").content.decode()
    assert coordinator.post("/imports/now/").status_code == 403


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_staff_press_import_now_and_a_worker_imports_the_list(client, settings, gazetteer, published_list):
    settings.SETTLEMENT_LIST_URL = published_list
    user = factories.user(role=STAFF)
    client.force_login(user)
    queue = f"now-{uuid.uuid4().hex[:8]}"
    worker = start_celery_worker(queue, SETTLEMENT_LIST_URL=published_list)
    app.conf.task_default_queue = queue
    try:
        assert "Import now" in client.get("/imports/").content.decode()
        response = client.post("/imports/now/", follow=True)
        assert "Import started" in response.content.decode()
        deadline = time.monotonic() + 60
        while not ImportRun.objects.filter(status="succeeded").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        app.conf.task_default_queue = "celery"
        stop(worker)

    run = ImportRun.objects.get()
    assert (run.status, run.trigger, run.triggered_by, run.rows) == ("succeeded", "staff", user, 69)


def test_import_now_says_so_when_redis_is_down(staff, settings, dead_broker):
    settings.SETTLEMENT_LIST_URL = "https://lists.example.org/daily.csv"

    response = staff.post("/imports/now/", follow=True)

    assert response.status_code == 200
    assert "The task queue is unreachable" in response.content.decode()
