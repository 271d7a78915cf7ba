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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database starts with the shipped gazetteer, as every installation does."""
    from settlements.gazetteer import load_gazetteer

    with django_db_blocker.unblock():
        load_gazetteer()


@pytest.fixture
def gazetteer(db):
    """The gazetteer, reloaded when a transactional test flushed it."""
    from settlements.gazetteer import load_gazetteer
    from settlements.models import Settlement

    if not Settlement.objects.exists():
        load_gazetteer()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests still talk to the
    # database synchronously from it, as Django allows when told.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    # No basemap tiles in tests: the outside world is not part of AidTrack.
    context.route("https://*.tile.openstreetmap.org/**", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
