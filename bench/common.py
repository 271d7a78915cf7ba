"""Shared by the benchmarks: a dedicated database, seeded with synthetic data, and timing helpers."""

import argparse
import datetime
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgis://postgres@127.0.0.1:5432/aidtrack_bench")
ENV = {**os.environ, "DATABASE_URL": BENCH_DATABASE_URL, "DJANGO_SETTINGS_MODULE": "aidtrack.settings"}
ENV["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
ENV["LOG_LEVEL"] = "WARNING"
ENV["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"  # testserver: in-process Django test clients
# The lists the benchmarks import through a worker are written here; a queued import reads only this folder.
ENV["IMPORT_UPLOAD_DIR"] = str(ROOT / "var")
# One key for the bench and the servers it starts (bench/server.py runs them with DEBUG off), so
# the sessions it signs are theirs.
ENV["SECRET_KEY"] = os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50)


def manage(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own manage.py with our own arguments)
        [sys.executable, str(ROOT / "manage.py"), *args], env=ENV, cwd=ROOT, check=check, capture_output=True, text=True
    )


def timed(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak resident memory (MiB) and output of one child process."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=ENV, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)  # noqa: S603
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode:
        raise RuntimeError(f"{command} failed:\n{text}")
    return elapsed, usage.ru_maxrss / 1024, text


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def django_setup():
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


SYNTHETIC_PREFIX = "C9"  # synthetic P-codes C9000001...; the real gazetteer stops at C6xxx
BENCH_NOTE = "bench"  # marks the synthetic aid requests


def prepare(settlements: int) -> None:
    """The bench database, migrated, with the real gazetteer topped up to `settlements` synthetic ones."""
    manage("ensure_database")
    manage("migrate", "--noinput")
    manage("load_gazetteer")
    django_setup()
    from django.contrib.gis.geos import Point

    from settlements.models import AdminArea, Settlement

    have = Settlement.objects.count()
    if have >= settlements:
        return
    governorates = list(AdminArea.objects.filter(level=1))
    # Numbered on from the synthetic ones already there (an earlier benchmark may have asked for fewer).
    first = Settlement.objects.filter(pcode__startswith=SYNTHETIC_PREFIX).count()
    new = [
        Settlement(
            pcode=f"{SYNTHETIC_PREFIX}{i:06d}",
            name_en=f"Synthetic {i}",
            name_ar=f"تجمع {i}",
            location=Point(36.0 + (i % 600) / 100, 32.5 + (i // 600 % 450) / 100, srid=4326),
            governorate=governorates[i % len(governorates)],
        )
        for i in range(first, first + settlements - have)
    ]
    for settlement in new:
        settlement.refresh_name_keys()
    Settlement.objects.bulk_create(new, batch_size=5000)


def seed_requests(total: int) -> int:
    """`total` staff-entered aid requests spread over the settlements, a third with a delivery.

    Returns how many there are (more than `total` if an earlier run seeded more)."""
    from django.db import connection

    from settlements.caching import data_changed

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM settlements_aidrequest WHERE description = %s", [BENCH_NOTE])
        have = cursor.fetchone()[0]
        cursor.execute("SELECT EXISTS (SELECT 1 FROM settlements_delivery WHERE notes = %s)", [BENCH_NOTE])
        if have >= total and cursor.fetchone()[0]:
            return have
        cursor.execute(
            """
            INSERT INTO settlements_aidrequest (settlement_id, category, quantity, unit, priority, status,
                status_set_by_staff, source, description, needed_by, created_at, updated_at)
            SELECT s.ids[1 + g %% array_length(s.ids, 1)],
                   (ARRAY['food','medicine','water','shelter','health','education'])[1 + g %% 6],
                   1 + g %% 97, 't', 1 + g %% 4, CASE WHEN g %% 3 = 0 THEN 'partial' ELSE 'open' END,
                   false, 'manual', %s, DATE '2030-01-01' + (g %% 90), now(), now()
            FROM generate_series(%s, %s) g,
                 (SELECT array_agg(id ORDER BY id) AS ids FROM settlements_settlement) s
            """,
            [BENCH_NOTE, have + 1, total],
        )
        # The requests still without a delivery, listed before any is written: an anti-join inside
        # the INSERT would scan the delivery table as the statement grows it (an hour at 333,000).
        cursor.execute("ANALYZE settlements_aidrequest, settlements_delivery")
        cursor.execute(
            """
            CREATE TEMP TABLE bench_undelivered AS
            SELECT r.id FROM settlements_aidrequest r
            WHERE r.description = %s AND r.status = 'partial'
              AND NOT EXISTS (SELECT 1 FROM settlements_delivery d WHERE d.request_id = r.id)
            """,
            [BENCH_NOTE],
        )
        cursor.execute(
            "INSERT INTO settlements_delivery (request_id, quantity, unit, delivered_on, notes, created_at) "
            "SELECT id, 1, 't', DATE '2030-01-01', %s, now() FROM bench_undelivered",
            [BENCH_NOTE],
        )
        cursor.execute("DROP TABLE bench_undelivered")
        cursor.execute("VACUUM ANALYZE")
    data_changed()
    return max(have, total)


def measured(result: dict, command: str) -> dict:
    """A benchmark's result with when and how it was measured."""
    result["measured_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    result["command"] = command
    return result


def main_with_runs(description: str, run, results: Path, *, runs: int = 3) -> None:
    """`--runs N`, then `run(N)`'s result written to `results` and printed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=runs)
    result = run(parser.parse_args().runs)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
