"""Shared by the benchmarks: a dedicated database, seeded with synthetic data, and timing helpers."""

import os
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
