"""AidTrack under faults: Redis gone, PostgreSQL connections cut, duplicate schedules."""

import datetime
import json
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import override_settings

from settlements.importing.schedule import missed_slot
from settlements.importing.service import import_from_source
from settlements.models import ImportRun
from settlements.roles import COORDINATOR, STAFF
from settlements.tasks import catch_up_daily_list, import_daily_list
from tests import factories
from tests.browser import ARTIFACTS, PASSWORD
from tests.paths import ROOT
from tests.test_import_task import SAMPLE

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
            "/map/areas.geojson?level=2",
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
    deadline = time.monotonic() + 30  # under load first: the first answers build the page, then a second more
    while not statuses and time.monotonic() < deadline:
        time.sleep(0.05)
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
def test_two_beats_firing_the_same_slot_import_once(gazetteer, tmp_path):
    """Two beat processes (a deployment mistake, or a failover) each send the 06:00 import."""
    from tests.conftest import start_celery_worker, stop
    from tests.test_import_task import SAMPLE, wait_for

    queue = f"beats-{uuid.uuid4().hex[:8]}"
    listing = tmp_path / SAMPLE.name  # in the uploads folder, where a queued import may read
    listing.write_bytes(SAMPLE.read_bytes())
    worker = start_celery_worker(queue)
    try:
        for _ in range(2):  # what each beat sends for the slot
            import_daily_list.apply_async(kwargs={"source": str(listing)}, queue=queue)
        wait_for(lambda: ImportRun.objects.count() == 2, 60, "both sends to be handled")
    finally:
        stop(worker)

    runs = list(ImportRun.objects.order_by("started_at").values_list("status", "error"))
    assert [status for status, _ in runs] == [ImportRun.Status.SUCCEEDED, ImportRun.Status.SKIPPED], runs
    assert "already imported" in runs[1][1]
    # An import staff start by hand is not a schedule slot: it runs (and finds nothing new).
    manual = import_from_source(str(SAMPLE), trigger=ImportRun.Trigger.STAFF)
    assert manual.run.status == ImportRun.Status.UNCHANGED


def daily_schedule(hours_ago: float):
    """The daily import's schedule moved to a slot `hours_ago` hours before now (Damascus time)."""
    from django.utils import timezone
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    slot = timezone.localtime() - datetime.timedelta(hours=hours_ago)
    crontab = CrontabSchedule.objects.create(minute=slot.minute, hour=slot.hour, timezone="Asia/Damascus")
    # Transactional tests start from an empty database, without the migration's schedule.
    task, _ = PeriodicTask.objects.update_or_create(
        task="settlements.import_daily_list", defaults={"name": "Import the daily settlement list", "crontab": crontab}
    )
    return task


@pytest.mark.django_db
class TestMissedSlot:
    def test_a_slot_with_no_import_since_is_missed(self):
        daily_schedule(hours_ago=2)
        assert missed_slot()

    def test_a_scheduled_import_after_the_slot_covers_it(self):
        daily_schedule(hours_ago=2)
        import_from_source(str(SAMPLE), trigger=ImportRun.Trigger.SCHEDULE)  # a failed one would count too
        assert not missed_slot()

    def test_the_regular_import_gets_ten_minutes_first(self):
        daily_schedule(hours_ago=0.05)  # three minutes ago
        assert not missed_slot()

    def test_a_disabled_schedule_misses_nothing(self):
        daily_schedule(hours_ago=2).__class__.objects.update(enabled=False)
        assert not missed_slot()


@pytest.mark.django_db(transaction=True)
def test_an_import_beat_could_not_send_while_redis_was_down_runs_when_redis_is_back(
    gazetteer, published_list, dead_broker
):
    """06:00 with Redis down: beat's send fails and beat moves on. When Redis is back, the catch-up
    check that beat sends every 15 minutes starts the import that was missed, once."""
    from aidtrack.celery import app
    from tests.conftest import start_celery_worker, stop
    from tests.test_import_task import wait_for

    daily_schedule(hours_ago=2)
    with pytest.raises(Exception):  # noqa: B017 (whatever kombu raises for a refused connection)
        import_daily_list.apply_async()  # what beat tried at the slot
    assert missed_slot()

    app.conf.broker_url = settings.CELERY_BROKER_URL  # Redis is back
    app._pool, app.amqp._producer_pool = None, None
    queue = f"catch-up-{uuid.uuid4().hex[:8]}"
    worker = start_celery_worker(queue, SETTLEMENT_LIST_URL=published_list)
    try:
        assert catch_up_daily_list.apply_async(queue=queue).get(timeout=60) == {"status": "started"}
        wait_for(lambda: ImportRun.objects.filter(status=ImportRun.Status.SUCCEEDED).exists(), 60, "the import")
        # The next check finds the slot covered and starts nothing.
        assert catch_up_daily_list.apply_async(queue=queue).get(timeout=60) == {"status": "nothing missed"}
    finally:
        stop(worker)

    run = ImportRun.objects.get()
    assert (run.trigger, run.source, run.rows) == (ImportRun.Trigger.SCHEDULE, published_list, 69)
    assert not missed_slot()


@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_import_each_slot_once(gazetteer, tmp_path):
    """Two real beat processes on one schedule (every minute here): whatever each sends, every
    slot imports once and any second send is recorded as skipped."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

    from tests.conftest import celery_env, start_celery_worker, stop
    from tests.test_import_task import wait_for

    queue = f"two-beats-{uuid.uuid4().hex[:8]}"
    listing = tmp_path / SAMPLE.name  # in the uploads folder, where a queued import may read
    listing.write_bytes(SAMPLE.read_bytes())
    PeriodicTask.objects.update(enabled=False)
    every_minute = CrontabSchedule.objects.create(minute="*", hour="*", timezone="Asia/Damascus")
    PeriodicTask.objects.update_or_create(
        task="settlements.import_daily_list",
        defaults={
            "name": "Import the daily settlement list",
            "enabled": True,
            "crontab": every_minute,
            "queue": queue,
            "kwargs": json.dumps({"source": str(listing)}),
        },
    )
    PeriodicTasks.update_changed()
    worker = start_celery_worker(queue)
    beat = [sys.executable, "-m", "celery", "-A", "aidtrack", "beat", "--loglevel", "WARNING", "--pidfile="]
    beats = [subprocess.Popen(beat, cwd=ROOT, env=celery_env()) for _ in range(2)]
    try:
        wait_for(lambda: ImportRun.objects.exclude(status=ImportRun.Status.RUNNING).exists(), 90, "a slot to fire")
        time.sleep(5)  # the other beat's send, if it made one, reaches the worker
    finally:
        for process in beats:
            stop(process)
        stop(worker)

    runs = list(ImportRun.objects.order_by("started_at").values_list("status", flat=True))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "two-beats.json").write_text(json.dumps({"runs": runs}))  # how many sends reached the worker
    assert runs.count(ImportRun.Status.SUCCEEDED) == 1, runs
    assert set(runs) <= {ImportRun.Status.SUCCEEDED, ImportRun.Status.SKIPPED}, runs


@pytest.mark.django_db
def test_a_query_past_its_time_limit_answers_503_with_a_page_that_says_so(client):
    import psycopg2

    from settlements.models import AidRequest

    client.force_login(factories.user(role=STAFF))
    db = connection.settings_dict
    holder = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    with holder.cursor() as cursor:  # someone holds the requests table, so the page's query waits
        cursor.execute(f"LOCK TABLE {AidRequest._meta.db_table} IN ACCESS EXCLUSIVE MODE")
    try:
        with connection.cursor() as cursor:  # the test client's requests share this connection
            cursor.execute("SET statement_timeout = 300")
        response = client.get("/requests/")
    finally:
        holder.close()

    assert response.status_code == 503
    assert "more work than one page may take" in response.content.decode()
    assert response["Retry-After"] == "5"
