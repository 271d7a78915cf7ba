"""Tables benchmark: the aid requests table on 1,000,000 requests, and a 1,000,000-row CSV export.

- 20 concurrent clients (wrk, keep-alive connections) against gunicorn in its production
  configuration on the bench database: the first page and page 2,000, unfiltered (the default
  order) and filtered by category; p50, p99, requests/s and answers other than 200. Pages are
  cached per data version, so this is what coordinators get between writes; the first view after
  a write, which builds the page, is timed alone beside it.
- The unfiltered requests CSV export (1,000,000 rows), consumed to the end in a fresh process:
  wall time and that process's peak memory, beside the same export of one priority (a quarter).
- The spreadsheet (XLSX) export a worker builds, of 83,333 and of 166,666 requests, in a fresh
  process: wall time (process start included) and peak memory, which must not grow with the rows.

    .venv/bin/python bench/tables_bench.py [--requests 200] [--runs 3]
"""

import argparse
import datetime
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, django_setup, prepare, seed_requests, summary, timed
from server import Server, logged_in_session

RESULTS = ROOT / "bench" / "results" / "tables.json"
PAGES = {
    "first_page": "/requests/",
    "page_2000": "/requests/?page=2000",
    "filtered_first_page": "/requests/?category=food",
    "filtered_page_2000": "/requests/?category=food&page=2000",
}
CLIENTS = 20
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def seconds_of(text: str) -> float:
    """wrk's "12.5ms" or "1.02s" in seconds."""
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * UNITS[unit]


def hammer(url: str, cookie: str, duration: int) -> dict:
    """CLIENTS keep-alive connections GETting `url` for `duration` seconds (wrk, two threads). A slow
    answer is waited for (60 s), so it counts in the percentiles rather than as a timeout."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (scripts/ensure-system.sh --bench)")
    out = subprocess.run(  # noqa: S603 (wrk on our own local server)
        [
            wrk,
            "-t2",
            f"-c{CLIENTS}",
            f"-d{duration}s",
            "--timeout",
            "60s",
            "--latency",
            "-H",
            f"Cookie: sessionid={cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latencies = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    not_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"Socket errors: .*timeout (\d+)", out)
    return {
        "p50_s": round(seconds_of(latencies["50"]), 4),
        "p99_s": round(seconds_of(latencies["99"]), 4),
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        # answers other than 200 (redirects included: a lost session is a failed run), and timeouts
        "errors": (int(not_ok.group(1)) if not_ok else 0) + (int(timeouts.group(1)) if timeouts else 0),
    }


def first_view_after_write(url: str, cookie: str, runs: int) -> dict:
    """Seconds for one visitor to get `url` just after a write, when the page is built afresh."""
    from settlements.caching import data_changed

    seconds = []
    for _ in range(runs):
        data_changed()
        started = time.perf_counter()
        response = requests.get(url, cookies={"sessionid": cookie}, timeout=300)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return summary(seconds)


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


def xlsx_once(params: str) -> None:
    """Run in a child process: build a spreadsheet export as the worker does, and print its size."""
    django_setup()
    from django.contrib.auth.models import User
    from django.http import QueryDict

    from settlements.exports.models import ExportJob
    from settlements.exports.services import build_export

    query = QueryDict(params)
    job = ExportJob.objects.create(
        user=User.objects.get(username="bench"),
        table="requests",
        format="xlsx",
        parameters={key: query.getlist(key) for key in query},
        language="en",
    )
    job = build_export(job_id=job.pk)
    if job.status != ExportJob.Status.READY:
        raise RuntimeError(f"the export failed: {job.error}")
    print(json.dumps({"bytes": job.size, "rows": job.rows_done}))
    job.file.delete()
    job.delete()


def in_children(flag: str, scenarios: dict[str, str], runs: int) -> dict:
    """Each scenario `runs` times in a fresh process (`flag` with its parameters): its output's
    rows and bytes, wall seconds and peak memory."""
    results = {}
    for name, params in scenarios.items():
        seconds, memory, shape = [], [], None
        for _ in range(runs):
            elapsed, peak, out = timed([sys.executable, __file__, flag, params])
            seconds.append(elapsed)
            memory.append(peak)
            shape = json.loads(out.strip().splitlines()[-1])
        results[name] = {**shape, "seconds": summary(seconds), "peak_memory_mib": summary(memory)}
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="how long each scenario runs, per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--export-once", dest="export_params")
    parser.add_argument("--xlsx-once", dest="xlsx_params")
    args = parser.parse_args()
    if args.export_params is not None:
        return export_once(args.export_params)
    if args.xlsx_params is not None:
        return xlsx_once(args.xlsx_params)

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
        result["first_view_after_write_s"] = {
            name: first_view_after_write(server.url + url, cookie, args.runs) for name, url in PAGES.items()
        }
        for url in PAGES.values():  # each page built once, as the first visitor after a write does
            requests.get(server.url + url, cookies={"sessionid": cookie}, timeout=300)
        runs = {name: [] for name in PAGES}
        for _ in range(args.runs):
            for name, url in PAGES.items():
                runs[name].append(hammer(server.url + url, cookie, args.seconds))
    for name, measured in runs.items():
        result["pages"][name] = {
            "p50_s": summary([m["p50_s"] for m in measured]),
            "p99_s": summary([m["p99_s"] for m in measured]),
            "requests_per_s": summary([m["requests_per_s"] for m in measured]),
            "errors": sum(m["errors"] for m in measured),
            "requests": sum(m["requests"] for m in measured),
        }
    result["export_csv"] = in_children("--export-once", {"all_1m": "", "one_priority": "&priority=1"}, args.runs)
    # The spreadsheet a worker builds, at 83,333 and 166,666 rows: time, and memory that should not grow.
    xlsx = {"food_priority_1": "category=food&priority=1", "food": "category=food"}
    result["export_xlsx"] = in_children("--xlsx-once", xlsx, args.runs)
    result["measured_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    result["command"] = f"bench/tables_bench.py --seconds {args.seconds} --runs {args.runs}"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
