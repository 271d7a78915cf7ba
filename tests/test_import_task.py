"""The scheduled import in real Celery workers on the real Redis, with workers dying and racing."""

import csv
import os
import signal
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from settlements.importing.service import ADVISORY_LOCK, import_from_source
from settlements.models import AidRequest, ImportRun, ListEntry, ListSnapshot, Settlement
from settlements.tasks import import_daily_list
from tests.conftest import start_celery_worker, stop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "settlements/data/samples/settlement-list-2017-09-11.csv"
GAZETTEER = ROOT / "settlements/data/gazetteer/syr_admin4_communities_ocha2015.csv"


def big_list(path: Path, rows: int) -> Path:
    """A list of `rows` gazetteer settlements by P-code, big enough to take a few seconds."""
    with open(GAZETTEER, encoding="utf-8") as source, open(path, "w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["Governorate", "Settlement", "P-code", "Population", "Food need (t)"])
        for i, row in enumerate(csv.DictReader(source)):
            if i == rows:
                break
            writer.writerow([row["admin1_name_en"], row["admin4_name_en"], row["admin4_pcode"], 100 + i, "1.5"])
    return path


def other_connection():
    db = connection.settings_dict
    conn = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    conn.autocommit = True
    return conn


def import_in_progress(conn) -> bool:
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s", [ADVISORY_LOCK])
        return cursor.fetchone()[0] > 0


def import_waits_half_written(conn) -> bool:
    """The importing backend has written part of the list and waits for a lock."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT a.wait_event_type = 'Lock' AND a.backend_xid IS NOT NULL FROM pg_locks l "
            "JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.objid = %s",
            [ADVISORY_LOCK],
        )
        row = cursor.fetchone()
        return bool(row and row[0])


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def lock_gone() -> None:
    """A closed connection's backend lets go of its advisory lock a moment after the close."""
    watcher = other_connection()
    try:
        wait_for(lambda: not import_in_progress(watcher), 10, "the lock to go")
    finally:
        watcher.close()


@pytest.fixture
def queue():
    return f"import-{uuid.uuid4().hex[:8]}"


def test_a_real_worker_imports_the_configured_list(gazetteer, queue, published_list):
    worker = start_celery_worker(queue, SETTLEMENT_LIST_URL=published_list)
    try:
        summary = import_daily_list.apply_async(queue=queue).get(timeout=90)
    finally:
        stop(worker)

    assert (summary["status"], summary["rows"], summary["matched"]) == ("succeeded", 69, 69)
    run = ImportRun.objects.get()
    assert (run.trigger, run.source) == ("schedule", published_list)
    assert Settlement.objects.filter(on_latest_list=True).count() == 69


def test_a_second_import_while_one_runs_is_skipped_and_writes_nothing(gazetteer):
    holder = other_connection()
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK])
    try:
        skipped = import_from_source(str(SAMPLE)).run
    finally:
        holder.close()

    assert skipped.status == "skipped"
    assert "Another import is running" in skipped.error
    assert not ListSnapshot.objects.exists()
    lock_gone()
    again = import_from_source(str(SAMPLE)).run
    assert again.status == "succeeded", again.error


def test_two_workers_racing_import_once(gazetteer, queue, tmp_path):
    listing = big_list(tmp_path / "list-2017-10-01.csv", 3000)
    workers = [start_celery_worker(queue) for _ in range(2)]
    try:
        results = [import_daily_list.apply_async(args=[str(listing)], queue=queue) for _ in range(2)]
        statuses = sorted(r.get(timeout=120)["status"] for r in results)
    finally:
        for worker in workers:
            stop(worker)

    assert statuses == ["skipped", "succeeded"]
    assert ListSnapshot.objects.count() == 1
    assert ListEntry.objects.count() == 3000


def kill_the_worker_mid_import(queue: str, listing: Path, *, while_dead=None, **env) -> tuple[str, dict]:
    """Send the import, SIGKILL its worker half-way through writing, then let a new worker take the
    redelivered task. `while_dead(task_id)` runs between the two. Returns the task id and its result."""
    visibility = 12  # seconds before Redis hands an unacknowledged task to another worker
    env = {"CELERY_VISIBILITY_TIMEOUT": str(visibility), **env}
    watcher = other_connection()
    # Staff holding the requests table stop the import where it has written the snapshot, its
    # entries and the settlements, and is about to write the requests: the worker dies there.
    blocker = other_connection()
    blocker.autocommit = False
    with blocker.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {AidRequest._meta.db_table} IN SHARE MODE")
    first = start_celery_worker(queue, **env)
    try:
        sent_at = time.monotonic()
        result = import_daily_list.apply_async(args=[str(listing)], queue=queue)
        wait_for(lambda: import_waits_half_written(watcher), 60, "the import to be half written")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        blocker.rollback()
        wait_for(lambda: not import_in_progress(watcher), 10, "the lock to go")
        if while_dead:
            while_dead(result.id)
        time.sleep(max(0.0, visibility + 1 - (time.monotonic() - sent_at)))
        second = start_celery_worker(queue, **env)
        try:
            return result.id, result.get(timeout=120)
        finally:
            stop(second)
    finally:
        stop(first)
        blocker.close()
        watcher.close()


def test_a_worker_killed_mid_import_leaves_nothing_and_another_worker_finishes_it(gazetteer, queue, tmp_path):
    listing = big_list(tmp_path / "list-2017-10-01.csv", 3000)
    seen = {}

    def nothing_half_done_is_visible(task_id):
        # Nothing of the half-done import is visible, and its lock died with the worker; the run is
        # on record as running, with the task it belongs to.
        assert not ListSnapshot.objects.exists()
        assert not Settlement.objects.filter(on_latest_list=True).exists()
        assert not AidRequest.objects.exists()
        seen["run"] = ImportRun.objects.get()
        assert (seen["run"].status, seen["run"].task_id, seen["run"].attempts) == ("running", task_id, 1)

    _, summary = kill_the_worker_mid_import(queue, listing, while_dead=nothing_half_done_is_visible)

    # Redis may hand the unacknowledged message out more than once; whichever delivery came second
    # was skipped (same slot, or the lock), so exactly one import wrote the list: the redelivery,
    # on the run the killed worker started, counting its second attempt.
    assert summary["status"] in ("succeeded", "skipped"), summary
    done = ImportRun.objects.filter(status="succeeded")
    assert [(run.pk, run.rows, run.matched, run.attempts) for run in done] == [(seen["run"].pk, 3000, 3000, 2)]
    assert set(ImportRun.objects.values_list("status", flat=True)) <= {"succeeded", "skipped"}
    assert ListEntry.objects.count() == 3000
    assert Settlement.objects.filter(on_latest_list=True).count() == 3000


def test_a_list_that_kills_its_worker_is_given_up_as_failed_after_the_attempt_limit(gazetteer, queue, tmp_path):
    listing = big_list(tmp_path / "list-2017-10-02.csv", 3000)

    task_id, summary = kill_the_worker_mid_import(queue, listing, IMPORT_MAX_ATTEMPTS="1")

    # The redelivery does not read the list again: it closes the run as failed, once, and says why.
    assert summary["status"] == "failed"
    run = ImportRun.objects.get()
    assert (run.status, run.attempts, run.task_id) == ("failed", 2, task_id)
    assert run.error.startswith(
        "The worker stopped while reading this list, on each of the 1 attempts allowed (IMPORT_MAX_ATTEMPTS); "
        "it was given up."
    )
    assert not ListSnapshot.objects.exists()


def test_a_starting_worker_closes_the_runs_a_dead_worker_left_running(gazetteer, queue):
    left = ImportRun.objects.create(source="/srv/lists/list.csv", status="running", task_id="dead-task", attempts=1)

    worker = start_celery_worker(queue)
    try:
        wait_for(lambda: ImportRun.objects.get(pk=left.pk).status != "running", 60, "the run to be closed")
    finally:
        stop(worker)

    left.refresh_from_db()
    assert left.status == "failed"
    assert left.error == "The worker stopped while reading this list; nothing of it was written."
    assert left.finished_at is not None


def test_the_next_import_closes_a_run_left_running_but_not_while_an_import_holds_the_lock(gazetteer):
    left = ImportRun.objects.create(source="/srv/lists/list.csv", status="running")
    holder = other_connection()
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK])
    try:
        assert import_from_source(str(SAMPLE)).run.status == "skipped"
        assert ImportRun.objects.get(pk=left.pk).status == "running"  # it may be the live import
    finally:
        holder.close()
    lock_gone()

    assert import_from_source(str(SAMPLE)).run.status == "succeeded"
    assert ImportRun.objects.get(pk=left.pk).status == "failed"


def test_after_a_big_list_the_planner_counts_its_needs(gazetteer, tmp_path):
    """The next day's few dozen needs are matched through the list-need index; with statistics from
    before the big list the planner takes that index for empty and reads all of it."""
    import_from_source(str(big_list(tmp_path / "list-2017-10-01.csv", 3000)))

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'aidrequest_one_list_need_per_category'")
        (counted,) = cursor.fetchone()
    assert counted > 1000
