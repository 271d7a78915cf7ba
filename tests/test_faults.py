"""AidTrack under faults: Redis gone, PostgreSQL connections cut, duplicate schedules."""

import os
import subprocess
import threading
import time
import uuid

import pytest
import requests
from django.db import connection
from django.test import override_settings

from settlements.importing.service import import_from_source
from settlements.models import ImportRun
from settlements.roles import COORDINATOR, STAFF
from settlements.tasks import import_daily_list
from tests import factories
from tests.browser import PASSWORD

DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_CACHE = {
    "default": {
        "BACKEND": "aidtrack.cache.ExpiringRedisCache",
        "LOCATION": DEAD_REDIS,
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.mark.django_db
def test_with_redis_down_every_page_still_renders_and_health_says_why(client, dead_broker):
    client.force_login(factories.user(role=STAFF))
    factories.aid_request()
    with override_settings(CACHES=DEAD_CACHE, CELERY_BROKER_URL=DEAD_REDIS):
        for url in (
            "/",
            "/map/",
            "/map/settlements.geojson",
            "/map/governorates.geojson",
            "/settlements/",
            "/requests/",
            "/requests/?export=csv",
            "/imports/",
            "/api/aid-requests/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
        health = client.get("/healthz")
        assert health.status_code == 503 and "redis" in health.json()["failed"]
        # Starting an import says the queue is unreachable instead of failing the page.
        with override_settings(SETTLEMENT_LIST_URL="http://lists.example.org/list.csv"):
            page = client.post("/imports/now/", follow=True)
        assert page.status_code == 200
        assert b"task queue is unreachable" in page.content
    assert ImportRun.objects.count() == 0


def log_in(session: requests.Session, url: str, username: str) -> None:
    page = session.get(f"{url}/admin/login/")
    token = session.cookies["csrftoken"]
    session.post(
        f"{url}/admin/login/?next=/",
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/admin/login/"},
    )
    assert page.status_code == 200 and "sessionid" in session.cookies


def restart_postgresql() -> None:
    """Restart the real PostgreSQL server, as an upgrade or a crash recovery does."""
    version = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    subprocess.run(command, check=True, capture_output=True)
    connection.close()  # the test's own connection died with the server too


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_when_postgresql_restarts_under_load_requests_fail_with_503_and_recover(live_server, gazetteer):
    factories.user(role=COORDINATOR, username="nour")
    factories.aid_request()
    session = requests.Session()
    log_in(session, live_server.url, "nour")
    statuses, stop = [], threading.Event()

    def load():
        own = requests.Session()
        own.cookies.update(session.cookies)
        while not stop.is_set():
            statuses.append(own.get(f"{live_server.url}/requests/", timeout=30).status_code)

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)
    before = len(statuses)
    restart_postgresql()
    time.sleep(1.0)
    stop.set()
    for worker in workers:
        worker.join()

    assert before > 0 and len(statuses) > before
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    # Recovered without restarting anything: the next requests all succeed.
    assert [session.get(f"{live_server.url}/requests/").status_code for _ in range(5)] == [200] * 5
    failed = session.get(f"{live_server.url}/requests/")
    assert failed.status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_beats_firing_the_same_slot_import_once(gazetteer):
    """Two beat processes (a deployment mistake, or a failover) each send the 06:00 import."""
    from tests.conftest import start_celery_worker, stop
    from tests.test_import_task import SAMPLE, wait_for

    queue = f"beats-{uuid.uuid4().hex[:8]}"
    worker = start_celery_worker(queue)
    try:
        for _ in range(2):  # what each beat sends for the slot
            import_daily_list.apply_async(kwargs={"source": str(SAMPLE)}, queue=queue)
        wait_for(lambda: ImportRun.objects.count() == 2, 60, "both sends to be handled")
    finally:
        stop(worker)

    runs = list(ImportRun.objects.order_by("started_at").values_list("status", "error"))
    assert [status for status, _ in runs] == [ImportRun.Status.SUCCEEDED, ImportRun.Status.SKIPPED], runs
    assert "already imported" in runs[1][1]
    # An import staff start by hand is not a schedule slot: it runs (and finds nothing new).
    manual = import_from_source(str(SAMPLE), trigger=ImportRun.Trigger.STAFF)
    assert manual.run.status == ImportRun.Status.UNCHANGED
