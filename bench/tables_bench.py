"""Tables benchmark: the aid requests table on 1,000,000 requests, and a 1,000,000-row CSV export.

- 20 concurrent clients (threads with their own keep-alive sessions) against gunicorn on the bench
  database, first page and page 2,000 (the default order): p50, p99, requests/s, errors.
- The unfiltered requests CSV export (1,000,000 rows), consumed to the end in a fresh process:
  wall time and that process's peak memory, beside the same export of one priority (a quarter).

    .venv/bin/python bench/tables_bench.py [--requests 200] [--runs 3]
"""

import argparse
import datetime
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, django_setup, prepare, seed_requests, summary, timed
from server import Server, logged_in_session

RESULTS = ROOT / "bench" / "results" / "tables.json"
PAGES = {"first_page": "/requests/", "page_2000": "/requests/?page=2000"}
CLIENTS = 20


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def hammer(url: str, cookie: str, total: int) -> dict:
    """`total` GETs of `url` from CLIENTS threads at once; latency percentiles in seconds."""

    def client(count: int) -> tuple[list[float], int]:
        session = requests.Session()
        session.cookies.set("sessionid", cookie)
        latencies, errors = [], 0
        for _ in range(count):
            started = time.perf_counter()
            response = session.get(url, timeout=120)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200
        return latencies, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        done = list(pool.map(client, [total // CLIENTS] * CLIENTS))
    elapsed = time.perf_counter() - started
    latencies = [latency for part, _ in done for latency in part]
    return {
        "p50_s": round(statistics.median(latencies), 4),
        "p99_s": round(percentile(latencies, 0.99), 4),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "requests": len(latencies),
        "errors": sum(errors for _, errors in done),
    }


def export_once(params: str) -> None:
    """Run in a child process: stream the export to nowhere and print its size."""
    django_setup()
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="bench"))
    response = client.get(f"/requests/?export=csv{params}")
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    print(json.dumps({"bytes": size, "rows": lines - 1}))


def measure_export(runs: int) -> dict:
    results = {}
    for name, params in {"all_1m": "", "one_priority": "&priority=1"}.items():
        seconds, memory, shape = [], [], None
        for _ in range(runs):
            elapsed, peak, out = timed([sys.executable, __file__, "--export-once", params])
            seconds.append(elapsed)
            memory.append(peak)
            shape = json.loads(out.strip().splitlines()[-1])
        results[name] = {**shape, "seconds": summary(seconds), "peak_memory_mib": summary(memory)}
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="GETs per scenario and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--export-once", dest="export_params")
    args = parser.parse_args()
    if args.export_params is not None:
        return export_once(args.export_params)

    prepare(100_000)
    seed_requests(1_000_000)
    from django.contrib.auth.models import User

    User.objects.filter(username="bench").exists() or User.objects.create_superuser("bench", password=None)
    from settlements.models import AidRequest

    result = {
        "what": "the aid requests table under 20 concurrent clients, and its CSV export",
        "aid_requests": AidRequest.objects.count(),
        "pages": {},
    }
    cookie = logged_in_session()
    with Server() as server:
        for url in PAGES.values():  # warm each worker's connection and the cached totals
            requests.get(server.url + url, cookies={"sessionid": cookie}, timeout=300)
        runs = {name: [] for name in PAGES}
        for _ in range(args.runs):
            for name, url in PAGES.items():
                runs[name].append(hammer(server.url + url, cookie, args.requests))
    for name, measured in runs.items():
        result["pages"][name] = {
            "p50_s": summary([m["p50_s"] for m in measured]),
            "p99_s": summary([m["p99_s"] for m in measured]),
            "requests_per_s": summary([m["requests_per_s"] for m in measured]),
            "errors": sum(m["errors"] for m in measured),
            "requests": sum(m["requests"] for m in measured),
        }
    result["export_csv"] = measure_export(args.runs)
    result["measured_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    result["command"] = f"bench/tables_bench.py --requests {args.requests} --runs {args.runs}"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
