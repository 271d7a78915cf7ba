"""Lists staff upload: /imports/new/ with a preview, the column mapping, a dry run and the import in
the worker; the same through POST /api/imports/."""

import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aidtrack.celery import app
from settlements.importing.columns import IGNORE
from settlements.models import ImportRun, ListSnapshot, ListSource, Settlement
from settlements.roles import COORDINATOR, STAFF
from tests import factories
from tests.browser import log_in, screenshot
from tests.conftest import start_celery_worker, stop

pytestmark = pytest.mark.django_db

# A local council's list: no header AidTrack's vocabulary knows.
COUNCIL_LIST = (
    b"Loc ref,Headcount,Rmk,Tel\n"
    b"C2663,1234,bakery reopened,+963 944 123 456\n"
    b"C3315,5050,,+963 944 123 457\n"
    b"C9999999,10,unknown code,\n"
)
MAPPING = {"Loc ref": "pcode", "Headcount": "population", "Rmk": "notes", "Tel": IGNORE}


@pytest.fixture
def staff(client):
    client.force_login(factories.user(role=STAFF))
    return client


@pytest.fixture
def council():
    return ListSource.objects.create(name="Local council")


def upload(client, council, content=COUNCIL_LIST, name="council-2017-09-15.csv"):
    response = client.post("/imports/new/", {"source": council.pk, "file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.content.decode()[:3000]
    return response["Location"]


def choose(preview_url, client, action, **columns):
    data = {"action": action, **{f"map-{index}": field for index, field in columns.items()}}
    return client.post(preview_url, data)


class TestUploadPage:
    def test_the_preview_shows_the_first_rows_with_a_select_per_column(self, staff, council):
        html = staff.get(upload(staff, council)).content.decode()

        assert "bakery reopened" in html
        assert html.count('<select name="map-') == 4
        assert "no column that identifies a settlement" in html  # nothing is mapped yet
        assert 'id="confirm-import"' not in html

    def test_a_dry_run_with_the_columns_mapped_shows_what_would_happen_and_writes_nothing(self, staff, council):
        preview = upload(staff, council)

        html = choose(preview, staff, "check", **{"0": "pcode", "1": "population", "2": "notes", "3": IGNORE})
        html = html.content.decode()

        assert 'data-count="matched">2<' in html
        assert 'data-count="created">0<' in html
        assert 'data-count="unmatched">1<' in html  # C9999999: no such P-code, and no coordinates to create it
        assert "unknown P-code C9999999" in html
        assert 'id="confirm-import"' in html
        assert not ListSnapshot.objects.exists()
        assert Settlement.objects.get(pcode="C2663").population != 1234
        assert ListSource.objects.get(pk=council.pk).column_mapping == {}

    def test_two_columns_mapped_to_one_field_are_refused(self, staff, council):
        html = choose(upload(staff, council), staff, "check", **{"0": "pcode", "1": "pcode"}).content.decode()

        assert "both mapped to pcode" in html
        assert 'id="dry-run"' not in html

    def test_confirming_queues_the_import_and_saves_the_mapping_on_the_source(self, staff, council):
        preview = upload(staff, council)

        response = choose(preview, staff, "import", **{"0": "pcode", "1": "population", "2": "notes", "3": IGNORE})

        run = ImportRun.objects.get()
        assert response["Location"] == f"/imports/{run.pk}/"
        assert (run.status, run.list_source, run.trigger, run.source) == (
            "queued",
            council,
            "upload",
            "council-2017-09-15.csv",
        )
        assert ListSource.objects.get(pk=council.pk).column_mapping == MAPPING
        page = staff.get(response["Location"]).content.decode()
        assert 'id="import-progress"' in page
        progress = staff.get(f"/imports/{run.pk}/progress.json").json()
        assert (progress["status"], progress["phase"], progress["percent"]) == ("queued", "queued", 0)

    def test_the_next_upload_of_the_source_is_mapped_as_saved(self, staff, council):
        council.column_mapping = MAPPING
        council.save()

        html = staff.get(upload(staff, council)).content.decode()

        assert '<option value="population" selected>' in html
        assert "no column that identifies a settlement" not in html

    def test_a_url_is_fetched_only_from_the_host_its_source_publishes_from(self, staff, council):
        response = staff.post("/imports/new/", {"source": council.pk, "url": "https://elsewhere.example.org/list.csv"})

        assert "is not on the host Local council publishes from" in response.content.decode()

    def test_an_upload_is_staffs_own(self, staff, council, client):
        preview = upload(staff, council)
        other = factories.user(role=STAFF)
        client.force_login(other)

        assert client.get(preview)["Location"] == "/imports/new/"

    def test_coordinators_cannot_upload(self, client, council):
        client.force_login(factories.user(role=COORDINATOR))

        assert client.get("/imports/new/").status_code == 403


def api(role):
    client = APIClient()
    token = Token.objects.create(user=factories.user(role=role))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


class TestImportAPI:
    def post(self, client, **data):
        data = {"file": SimpleUploadedFile("council-2017-09-15.csv", COUNCIL_LIST), **data}
        return client.post("/api/imports/", data, format="multipart")

    def test_an_upload_answers_202_with_the_queued_run(self, council):
        import json

        response = self.post(api(STAFF), source="Local council", mapping=json.dumps(MAPPING))

        assert response.status_code == 202, response.content
        run = ImportRun.objects.get()
        assert response.json()["id"] == run.pk
        assert response.json()["url"].endswith(f"/api/import-runs/{run.pk}/")
        assert ListSource.objects.get(pk=council.pk).column_mapping == {}  # not saved unless asked

        shown = api(COORDINATOR).get(f"/api/import-runs/{run.pk}/").json()
        assert (shown["status"], shown["list_source"], shown["progress"]["phase"]) == (
            "queued",
            "Local council",
            "queued",
        )

    def test_a_dry_run_answers_with_what_would_happen(self, council):
        import json

        response = self.post(api(STAFF), source=str(council.pk), mapping=json.dumps(MAPPING), dry_run="true")

        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["status"], body["matched"], body["unmatched"], body["dry_run"]) == ("succeeded", 2, 1, True)
        assert not ImportRun.objects.exists()

    def test_bad_mappings_sources_and_callers_are_refused(self, council):
        staff = api(STAFF)

        assert "not a field" in str(self.post(staff, mapping='{"Loc ref": "village"}').json()["mapping"])
        assert "No list source" in str(self.post(staff, source="Nobody").json()["source"])
        assert self.post(api(COORDINATOR)).status_code == 403
        assert self.post(APIClient()).status_code == 401
        assert not ImportRun.objects.exists()

    def test_the_schema_documents_both(self):
        schema = api(COORDINATOR).get("/api/schema/", HTTP_ACCEPT="application/json").json()

        post = schema["paths"]["/api/imports/"]["post"]
        assert {"202", "200"} <= set(post["responses"])
        assert "multipart/form-data" in post["requestBody"]["content"]
        run = schema["components"]["schemas"]["ImportRun"]["properties"]
        assert {"status", "progress", "list_source", "matched"} <= set(run)


@pytest.fixture
def worker():
    queue = f"upload-{uuid.uuid4().hex[:8]}"
    proc = start_celery_worker(queue)
    app.conf.task_default_queue = queue
    yield proc
    app.conf.task_default_queue = "celery"
    stop(proc)


def wait_for(run_id: int, timeout: float = 90) -> ImportRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ImportRun.objects.get(pk=run_id)
        if run.status not in ("queued", "running"):
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} still {run.status}")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_api_upload_is_imported_by_the_worker(gazetteer, worker):
    import json

    ListSource.objects.create(name="Local council")
    client = api(STAFF)
    data = {"file": SimpleUploadedFile("council-2017-09-15.csv", COUNCIL_LIST), "source": "Local council"}
    response = client.post("/api/imports/", {**data, "mapping": json.dumps(MAPPING)}, format="multipart")

    run = wait_for(response.json()["id"])

    assert (run.status, run.matched, run.unmatched) == ("succeeded", 2, 1), run.error
    assert Settlement.objects.get(pcode="C2663").population == 1234
    shown = client.get(f"/api/import-runs/{run.pk}/").json()
    assert shown["progress"] == {"phase": "done", "rows": 3, "read": 3, "matched": 3, "written": 3, "percent": 100}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_staff_upload_a_list_with_headers_never_seen_map_check_import_and_watch_it_finish(
    page, live_server, gazetteer, worker
):
    user = factories.user(role=STAFF)
    ListSource.objects.create(name="Local council")
    log_in(page, live_server, user.username, then="/imports/")

    page.click("#upload-list")
    page.select_option("#id_source", label="Local council")
    page.set_input_files(
        "#id_file", files=[{"name": "council-2017-09-15.csv", "mimeType": "text/csv", "buffer": COUNCIL_LIST}]
    )
    page.click("#new-import button[type=submit]")
    page.wait_for_selector("#preview-rows")
    assert page.locator("#mapping-problem").is_visible()
    screenshot(page, "upload-preview")

    for index, field in enumerate(["pcode", "population", "notes", IGNORE]):
        page.select_option(f"select[name=map-{index}]", field)
    page.click("button[value=check]")
    page.wait_for_selector("#dry-run")
    assert page.locator('[data-count="matched"]').inner_text() == "2"
    screenshot(page, "upload-dry-run")

    page.click("#confirm-import")
    page.wait_for_url(f"{live_server.url}/imports/*/")
    run_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    # The bar shows while the worker imports, then the page reloads with the result.
    if page.locator("#import-progress").count():
        screenshot(page, "upload-progress")
    page.locator("#import-progress").wait_for(state="detached", timeout=90_000)
    screenshot(page, "upload-imported")

    run = ImportRun.objects.get(pk=run_id)
    assert (run.status, run.list_source.name, run.triggered_by) == ("succeeded", "Local council", user)
    assert page.locator("h1 .badge").inner_text() == "succeeded"
    assert ListSource.objects.get(name="Local council").column_mapping == MAPPING
    assert Settlement.objects.get(pcode="C3315").population == 5050


def test_a_queued_upload_waits_for_the_import_running_and_gives_up_on_record_after_an_hour(tmp_path, settings):
    from settlements.importing.service import ADVISORY_LOCK
    from settlements.tasks import BUSY_RETRIES, BUSY_RETRY_SECONDS, import_daily_list
    from tests.test_import_task import lock_gone, other_connection

    settings.IMPORT_UPLOAD_DIR = tmp_path
    path = tmp_path / "council-2017-09-15.csv"
    path.write_bytes(COUNCIL_LIST)
    queued = ImportRun.objects.create(source=path.name, status=ImportRun.Status.QUEUED, trigger="upload")
    holder = other_connection()
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK])
    try:
        # Run in place, the task's retries follow one another at once: each finds the lock held.
        summary = import_daily_list.apply(kwargs={"source": str(path), "run_id": queued.pk, "mapping": MAPPING}).get()
    finally:
        holder.close()
    lock_gone()

    queued.refresh_from_db()
    assert summary["status"] == queued.status == "failed"
    assert "held the lock for over 60 minutes" in queued.error
    assert queued.attempts == 0
    assert not ListSnapshot.objects.exists()
    assert BUSY_RETRIES * BUSY_RETRY_SECONDS == 3600  # the hour the README promises
