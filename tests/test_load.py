"""50 concurrent clients for 60 s on the map data endpoint and the requests table, over loopback,
against gunicorn configured as in production (3 workers x 4 threads: at most 12 requests at once)."""

import json
import os
import statistics
import threading
import time
from collections import defaultdict

import pytest
import requests

from settlements.models import Settlement
from settlements.roles import COORDINATOR
from tests import factories
from tests.browser import ARTIFACTS
from tests.conftest import celery_env, start_gunicorn
from tests.test_faults import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CLIENTS = 50
SECONDS = float(os.environ.get("AIDTRACK_LOAD_SECONDS", "60"))
URLS = {"map data": "/map/settlements.geojson", "requests table": "/requests/"}


@pytest.fixture
def server(gazetteer):
    """gunicorn as production runs it (gunicorn.conf.py; 3 workers of 4 threads, as on a 2-core server),
    on the test database, over loopback."""
    proc, url = start_gunicorn(celery_env(WEB_CONCURRENCY="3", WEB_THREADS="4", LOG_LEVEL="WARNING"))
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_fifty_clients_for_a_minute_get_no_server_error(server):
    for settlement in Settlement.objects.order_by("pk")[:300]:
        factories.aid_request(settlement=settlement)
    factories.user(role=COORDINATOR, username="load")
    login = requests.Session()
    log_in(login, server, "load")
    latencies, statuses, failures = defaultdict(list), defaultdict(int), []
    deadline = time.monotonic() + SECONDS

    def client(index: int):
        session = requests.Session()
        session.cookies.update(login.cookies)
        session.headers["Accept-Encoding"] = "gzip"
        names = list(URLS)
        turn = index
        while time.monotonic() < deadline:
            name = names[turn % 2]
            turn += 1
            started = time.perf_counter()
            try:
                response = session.get(server + URLS[name], timeout=60)
            except requests.RequestException as error:
                failures.append(repr(error))
                continue
            latencies[name].append(time.perf_counter() - started)
            statuses[response.status_code] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    report = {
        name: {
            "requests": len(values),
            "p50_s": round(statistics.median(values), 4),
            "p99_s": round(sorted(values)[int(0.99 * (len(values) - 1))], 4),
        }
        for name, values in latencies.items()
    }
    report["statuses"] = dict(statuses)
    report["clients"], report["seconds"] = CLIENTS, SECONDS
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report))
    assert failures == []
    assert set(statuses) == {200}, statuses
    assert all(report[name]["requests"] >= CLIENTS for name in URLS)
