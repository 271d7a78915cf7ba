"""Dashboard benchmark: its first view after a write, on 1,000,000 aid requests.

- No worker rebuilding: the first visitor after the write builds the figures (what every first
  visitor after an import waited for before the worker did it).
- A running worker: the write queues the rebuild (settlements.warm_dashboard); measured are the
  worker's time from the write to all of them built, and the visitor's first view
  once they are.

    .venv/bin/python bench/dashboard_bench.py [--runs 3]
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ENV, ROOT, main_with_runs, measured, prepare, seed_requests, summary
from import_bench import Worker

RESULTS = ROOT / "bench" / "results" / "dashboard.json"
NOBODY = "bench-nobody-rebuilds"


def first_view(client) -> float:
    started = time.perf_counter()
    response = client.get("/")
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"dashboard answered {response.status_code}")
    return elapsed


def built() -> bool:
    """The worker has built everything the dashboard's first view reads: figures, critical needs, trends."""
    from django.core.cache import cache

    from settlements.caching import cache_key, data_version, parameters_key

    version = data_version()
    keys = [cache_key("dashboard", "figures", version), cache_key("dashboard", "critical", version)]
    keys.append(cache_key("trends", parameters_key("/", []), version))
    return all(cache.get(key) is not None for key in keys)


def run(runs: int) -> dict:
    worker = Worker()
    ENV["CACHE_WARMING_DELAY"] = "0"
    prepare(100_000)
    requests = seed_requests(1_000_000)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    from settlements.caching import data_changed

    User.objects.filter(username="bench").exists() or User.objects.create_superuser("bench", password=None)
    client = Client()
    client.force_login(User.objects.get(username="bench"))
    cold, rebuilt, warm = [], [], []
    for _ in range(runs):
        settings.CACHE_WARMING_QUEUE = NOBODY
        data_changed()
        cold.append(first_view(client))
        settings.CACHE_WARMING_QUEUE = worker.queue
        started = time.perf_counter()
        data_changed()
        while not built():
            time.sleep(0.05)
        rebuilt.append(time.perf_counter() - started)
        warm.append(first_view(client))
    worker.stop()
    return measured(
        {
            "what": "the dashboard's first view after a write",
            "aid_requests": requests,
            "first_view_no_rebuild_s": summary(cold),
            "worker_rebuild_s": summary(rebuilt),
            "first_view_after_rebuild_s": summary(warm),
        },
        f"make bench (bench/dashboard_bench.py --runs {runs})",
    )


if __name__ == "__main__":
    main_with_runs(__doc__, run, RESULTS)
