"""Import benchmark: a 100,000-row daily list of P-coded rows against a 100,000-settlement gazetteer.

Targets (issue: the daily list import): first import under 15 s, the same file again under 3 s,
the 69-row sample list under 1 s end to end. Each figure is the median of several runs, each
run a fresh `manage.py import_settlement_list` process timed from outside, with its peak memory.

    make bench            # or: .venv/bin/python bench/import_bench.py [--rows 100000] [--runs 3]
"""

import argparse
import csv
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ENV, ROOT, prepare, seed_requests, summary, timed

RESULTS = ROOT / "bench" / "results" / "import.json"
SAMPLE = ROOT / "settlements" / "data" / "samples" / "settlement-list-2017-09-11.csv"


def write_list(path: Path, rows: int) -> Path:
    from settlements.models import Settlement

    pcodes = Settlement.objects.order_by("pk").values_list("pcode", "name_en", "governorate__name_en")[:rows]
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Governorate", "Settlement", "P-code", "Population", "Food need (t)", "Medicine need (t)"])
        for i, (pcode, name, governorate) in enumerate(pcodes):
            writer.writerow([governorate, name, pcode, 500 + i % 9000, f"{1 + i % 50}.5", f"0.{i % 90 + 10}"])
    return path


def next_day(path: Path, days: int = 1) -> Path:
    """The sample list `days` later: every population up by `days`, as a real next-day list changes figures."""
    with open(SAMPLE, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    column = rows[0].index("Population")
    for row in rows[1:]:
        row[column] = str(int(row[column]) + days)
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def reset() -> None:
    """Forget every import, so each run is a first import into the same gazetteer."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE settlements_listchange, settlements_listentry, settlements_listsnapshot, "
            "settlements_importrun CASCADE"
        )
        cursor.execute("DELETE FROM settlements_aidrequest WHERE source = 'daily_list'")
        cursor.execute(
            "UPDATE settlements_settlement SET on_latest_list = false, first_listed = NULL, last_listed = NULL, "
            "last_confirmed = NULL, population = NULL "
            "WHERE on_latest_list OR first_listed IS NOT NULL OR population IS NOT NULL"
        )
        # Deleting a first import's 200,000 list requests leaves their index entries behind: without
        # rewriting the table every run would insert into bigger indexes than the one before.
        cursor.execute("VACUUM FULL settlements_aidrequest")
        cursor.execute("VACUUM ANALYZE")


def import_command(path: Path, date: datetime.date) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), "import_settlement_list", str(path), "--date", str(date), "--json"]


def imported(path: Path, date: datetime.date, status: str) -> tuple[float, float, float]:
    """Wall seconds of the whole process, its peak memory, and the seconds the import itself took."""
    seconds, peak, out = timed(import_command(path, date))
    summary_ = json.loads(out.strip().splitlines()[-1])
    if summary_["status"] != status:
        raise RuntimeError(f"expected {status}, got {summary_['status']}:\n{out}")
    return seconds, peak, sum(summary_.get("timings", {}).values())


def peer(name: str, path: Path) -> tuple[float, float]:
    """Wall seconds of a peer's process and the seconds it reports inside."""
    seconds, _, out = timed([sys.executable, str(ROOT / "bench" / "import_peers.py"), name, str(path)])
    return seconds, json.loads(out.strip().splitlines()[-1])["seconds"]


class Worker:
    """A Celery worker on the bench database, as `make run` starts one, on a queue of its own.

    The daily import reaches AidTrack this way: beat sends the task, a running worker imports."""

    def __init__(self):
        self.queue = f"bench-{os.getpid()}"
        command = [sys.executable, "-m", "celery", "-A", "aidtrack", "worker", "--pool=solo", "-Q", self.queue]
        command += ["--without-gossip", "--without-mingle", "--loglevel", "WARNING"]
        self.process = subprocess.Popen(command, env=ENV, cwd=ROOT)  # noqa: S603

    def import_list(self, path: Path) -> float:
        """Seconds from sending the import task to having its result: queue, fetch, import, commit."""
        from settlements.tasks import import_daily_list

        started = time.perf_counter()
        summary_ = import_daily_list.apply_async(kwargs={"source": str(path)}, queue=self.queue).get(timeout=120)
        elapsed = time.perf_counter() - started
        if summary_["status"] != "succeeded":
            raise RuntimeError(f"worker import: {summary_}")
        return elapsed

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def run(rows: int, runs: int) -> dict:
    prepare(max(rows, 100_000))
    # The import writes its list needs beside the staff's requests, as in use: whichever
    # benchmark runs first, the requests' indexes already hold a million entries.
    staff_requests = seed_requests(1_000_000)
    big = write_list(ROOT / "var" / "bench-list.csv", rows)
    tomorrow = next_day(ROOT / "var" / "bench-sample-next-day.csv")
    first, first_inside, again, small, memory, small_memory, small_import = [], [], [], [], [], [], []
    via_worker = []
    worker = Worker()
    peers = {"import_export": [], "import_export_inside": [], "copy_floor": [], "copy_floor_inside": []}
    day = datetime.date(2030, 1, 1)
    for _ in range(runs):
        # Interleaved: AidTrack, then each peer on the same file, so machine noise hits them all.
        reset()
        seconds, peak, inside = imported(big, day, "succeeded")
        first.append(seconds)
        first_inside.append(inside)
        memory.append(peak)
        again.append(imported(big, day, "unchanged")[0])
        for name, key in (("import-export", "import_export"), ("copy-floor", "copy_floor")):
            wall, inside = peer(name, big)
            peers[key].append(wall)
            peers[f"{key}_inside"].append(inside)
        # The 69-row list replacing the previous day's 69-row list, as it does every morning.
        imported(SAMPLE, day + datetime.timedelta(days=1), "succeeded")
        seconds, peak, inside = imported(tomorrow, day + datetime.timedelta(days=2), "succeeded")
        small.append(seconds)
        small_memory.append(peak)
        small_import.append(inside)
        # And the day after through the running worker, as the scheduled import gets it.
        third = day + datetime.timedelta(days=3)
        via_worker.append(worker.import_list(next_day(ROOT / "var" / f"settlement-list-{third}.csv", days=2)))
    worker.stop()
    reset()  # leave the bench database as seeded (1,000,000 requests) for the other benchmarks
    median_first = summary(first)["median"]
    floor = summary(peers["copy_floor"])["median"]
    return {
        "what": f"import_settlement_list of a {rows:,}-row P-coded list into a 100,000-settlement gazetteer",
        "rows": rows,
        "staff_requests": staff_requests,
        "first_import_s": summary(first),
        "first_import_inside_s": summary(first_inside),
        "rows_per_s": round(rows / median_first),
        "identical_reimport_s": summary(again),
        "peak_memory_mib": summary(memory),
        # Peers on the same file, whole processes timed the same way. django-import-export only
        # updates population by P-code; AidTrack also writes 100,000 snapshot entries, 200,000
        # list requests, every settlement's list dates and the diff.
        "django_import_export_s": summary(peers["import_export"]),
        "django_import_export_inside_s": summary(peers["import_export_inside"]),
        "copy_floor_s": summary(peers["copy_floor"]),
        "copy_floor_inside_s": summary(peers["copy_floor_inside"]),
        "ratio_to_floor": round(median_first / floor, 1),
        "ratio_to_import_export": round(median_first / summary(peers["import_export"])["median"], 2),
        "sample_69_rows_next_day_end_to_end_s": summary(small),
        # The same, without starting Python and Django: read, parse, match, write and commit.
        "sample_69_rows_next_day_import_only_s": summary(small_import),
        "sample_peak_memory_mib": summary(small_memory),
        # The next day's 69-row list through a running Celery worker: task sent to result received.
        "sample_69_rows_next_day_via_worker_s": summary(via_worker),
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": f"make bench (bench/import_bench.py --rows {rows} --runs {runs})",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result = run(args.rows, args.runs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
