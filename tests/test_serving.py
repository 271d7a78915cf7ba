"""gunicorn as deployed (gunicorn.conf.py's threaded workers, sized from this machine's CPUs): large
exports streaming to eight people at once leave /healthz and the map answering."""

import subprocess
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.test import Client

from aidtrack.health import record_heartbeat
from settlements.exports import formats
from settlements.models import AidRequest, Settlement
from settlements.roles import COORDINATOR
from tests import factories
from tests.conftest import celery_env, start_gunicorn, stop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

EXPORTS = 8
REQUESTS_EXPORTED = 100_000
LIMIT_SECONDS = 1.0


@pytest.fixture
def many_requests(gazetteer):
    """100,000 food requests spread over 500 settlements: one made by the ORM, the rest copied from
    it in one INSERT ... SELECT (the ORM's bulk_create took 12 s of this test's set-up)."""
    first = AidRequest.objects.create(
        settlement=Settlement.objects.order_by("pk").first(),
        category=AidRequest.Category.FOOD,
        quantity=Decimal(10),
        unit=AidRequest.Unit.TONNES,
    )
    table = AidRequest._meta.db_table
    varied = ("id", "settlement_id", "quantity")
    columns = [f.column for f in AidRequest._meta.concrete_fields if f.column not in varied]
    copied = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} (settlement_id, quantity, {copied})
                SELECT s.id, 10 + mod(n, 90), {", ".join(f"r.{c}" for c in columns)}
                FROM generate_series(1, %s) AS n
                JOIN {table} AS r ON r.id = %s
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
                      FROM {Settlement._meta.db_table} ORDER BY id LIMIT 500) AS s ON s.k = mod(n, 500)""",  # noqa: S608 (names from the models)
            [REQUESTS_EXPORTED - 1, first.pk],
        )
    assert AidRequest.objects.count() == REQUESTS_EXPORTED


def test_eight_large_exports_leave_healthz_and_the_map_answering_within_a_second(many_requests, tmp_path):
    client = Client()
    client.force_login(factories.user(role=COORDINATOR, username="hala"))
    session = client.cookies["sessionid"].value
    proc, url = start_gunicorn(celery_env(LOG_LEVEL="WARNING"))  # the configuration's own sizes
    probes = {"/healthz": [], "/map/": []}
    try:
        record_heartbeat()
        # Eight people, each with a process of their own (curl), so this process only probes.
        files = [tmp_path / f"export-{n}.csv" for n in range(EXPORTS)]
        exports = [
            subprocess.Popen(
                ["curl", "-sS", "-f", "-b", f"sessionid={session}", "-o", str(file), f"{url}/requests/?export=csv"]
            )
            for file in files
        ]
        time.sleep(0.5)  # every export has started streaming
        while any(export.poll() is None for export in exports):
            for path, times in probes.items():
                started = time.perf_counter()
                response = requests.get(f"{url}{path}", cookies={"sessionid": session}, timeout=30)
                times.append((time.perf_counter() - started, response.status_code))
            time.sleep(0.1)
    finally:
        stop(proc)

    assert [export.returncode for export in exports] == [0] * EXPORTS
    assert [file.read_bytes().count(b"\n") for file in files] == [REQUESTS_EXPORTED + 1] * EXPORTS  # every row
    for path, times in probes.items():
        assert len(times) >= 5, (path, times)  # the exports took long enough to be probed repeatedly
        assert {status for _, status in times} == {200}, (path, times)
        slowest = max(seconds for seconds, _ in times)
        assert slowest < LIMIT_SECONDS, f"{path} took {slowest:.2f} s while {EXPORTS} exports ran"


def test_a_streamed_export_waits_while_the_process_streams_its_allowance(coordinator_client):
    response = coordinator_client.get("/requests/?export=csv")
    first = []
    formats._STREAMS.acquire()  # another export is streaming in this process
    try:
        waiting = threading.Thread(target=lambda: first.append(next(iter(response.streaming_content))))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and first == []
    finally:
        formats._STREAMS.release()
    waiting.join(10)

    assert first and first[0].startswith(b"ID,")
    response.close()


def test_the_workers_are_forks_of_an_arbiter_that_loaded_aidtrack():
    """preload_app: the arbiter itself imports AidTrack (and so loads the database driver), and each
    worker, the first ones or one replaced after WEB_MAX_REQUESTS, is a fork of it."""
    proc, url = start_gunicorn(celery_env(LOG_LEVEL="WARNING"))
    try:
        requests.get(f"{url}/healthz", timeout=10)
        arbiter = Path(f"/proc/{proc.pid}/maps").read_text()
    finally:
        stop(proc)

    assert "_psycopg" in arbiter
