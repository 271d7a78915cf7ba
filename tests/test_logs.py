"""Logs an operator can use: gunicorn and a Celery worker, as deployed, writing one line per request
and per task, JSON with LOG_FORMAT=json, and every import line naming its run."""

import json
import logging
import uuid

import pytest
import requests
from django.test import Client

from aidtrack.logs import ImportRunFilter, TextFormatter, import_run_context
from settlements.models import ImportRun
from settlements.roles import COORDINATOR
from settlements.tasks import import_daily_list
from tests import factories
from tests.conftest import celery_env, start_celery_worker, start_gunicorn, stop
from tests.test_import_task import SAMPLE, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def json_lines(path) -> list[dict]:
    """Every line of the log, each of which must be one JSON object."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def test_gunicorn_writes_one_json_line_per_request(gazetteer, tmp_path):
    client = Client()
    user = factories.user(role=COORDINATOR, username="rima")
    client.force_login(user)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    log = tmp_path / "web.log"
    with log.open("w") as output:
        proc, url = start_gunicorn(celery_env(LOG_FORMAT="json", WEB_CONCURRENCY="1"), output=output)
        try:
            marker = uuid.uuid4().hex
            statuses = [
                requests.get(f"{url}{path}?m={marker}", timeout=10, allow_redirects=False, cookies=jar).status_code
                for path, jar in (("/", {}), ("/nowhere/", {}), ("/map/", cookies))
            ]
        finally:
            stop(proc)

    lines = json_lines(log)
    mine = [line for line in lines if marker in line.get("path", "")]
    assert statuses == [302, 404, 200]
    assert [(line["method"], line["path"].split("?")[0], line["status"], line["user"]) for line in mine] == [
        ("GET", "/", 302, None),
        ("GET", "/nowhere/", 404, None),
        ("GET", "/map/", 200, user.pk),
    ]
    assert all(line["logger"] == "aidtrack.request" and line["duration_ms"] >= 0 for line in mine)
    assert {"time", "level", "message"} <= set(mine[0])
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own lines are JSON too


def test_a_worker_writes_one_line_per_task_and_names_the_import_run_on_each_import_line(gazetteer, tmp_path):
    listing = tmp_path / SAMPLE.name
    listing.write_bytes(SAMPLE.read_bytes())
    log = tmp_path / "worker.log"
    queue = f"logs-{uuid.uuid4().hex[:8]}"
    with log.open("w") as output:
        # (This machine runs the tests as root, which Celery warns of before logging starts; the image does not.)
        quiet_root = "ignore:You're running the worker with superuser privileges"
        worker = start_celery_worker(
            queue, loglevel="INFO", output=output, LOG_FORMAT="json", PYTHONWARNINGS=quiet_root
        )
        try:
            task_id = import_daily_list.apply_async(args=[str(listing)], queue=queue).id
            wait_for(lambda: ImportRun.objects.filter(status=ImportRun.Status.SUCCEEDED).exists(), 90, "the import")
            wait_for(lambda: task_id in log.read_text(), 10, "the task's line")
        finally:
            stop(worker)

    run = ImportRun.objects.get()
    lines = json_lines(log)
    task_lines = [line for line in lines if line.get("task_id") == task_id]
    import_lines = [line for line in lines if line["logger"].startswith("settlements.importing")]
    assert [(t["logger"], t["task"], t["state"], t["import_run"]) for t in task_lines] == [
        ("aidtrack.task", "settlements.import_daily_list", "SUCCESS", run.pk)
    ]
    assert task_lines[0]["duration_ms"] > 0
    assert len(import_lines) >= 2 and {line["import_run"] for line in import_lines} == {run.pk}
    assert "import succeeded: 69 rows, 69 matched" in import_lines[-1]["message"]


@pytest.mark.django_db(transaction=False)
def test_text_lines_name_the_import_run_too():
    record = logging.LogRecord("settlements.importing.service", logging.INFO, __file__, 1, "importing", (), None)
    with import_run_context(42):
        ImportRunFilter().filter(record)

    assert TextFormatter("%(levelname)s %(message)s").format(record) == "INFO importing [import run 42]"
