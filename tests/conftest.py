import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _clean_test_redis():
    """Start every run with empty test Redis databases (never the ones `make run` uses)."""
    for db in (settings.REDIS_BROKER_DB, settings.REDIS_RESULT_DB, settings.REDIS_CACHE_DB):
        assert db >= 10, "tests must not touch the development Redis databases"
        client = redis.Redis.from_url(f"redis://127.0.0.1:6379/{db}")
        client.flushdb()
        client.close()


@pytest.fixture
def celery_worker_process():
    """A real Celery worker process, consuming a queue of its own on the test Redis."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "aidtrack",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    proc.queue = queue
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
