import email
import email.policy
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
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


@pytest.fixture(autouse=True)
def _fresh_cached_data():
    """Each test starts on a new data version, so no test reads another's cached map data."""
    from settlements.caching import data_changed

    data_changed()


@pytest.fixture(autouse=True)
def _interface_language():
    """Each test starts in the default language: a page a test asked for in Arabic activates Arabic
    for the thread, and a later test's English messages must not depend on the order they ran in."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def celery_env(**overrides) -> dict[str, str]:
    """Environment for a Celery process on the test Redis and the test database."""
    from django.db import connection

    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **overrides,
    }


def start_celery_worker(queue: str, *, loglevel: str = "WARNING", output=None, **env_overrides) -> subprocess.Popen:
    """A real Celery worker process on the test Redis and the test database, consuming `queue`
    (its log, on stderr, to `output`, a file, when given)."""
    env = celery_env(**env_overrides)
    command = [sys.executable, "-m", "celery", "-A", "aidtrack", "worker", "--pool=solo", "--queues", queue]
    command += ["--hostname", f"{queue}-{uuid.uuid4().hex[:4]}@%h", "--without-gossip", "--without-mingle"]
    proc = subprocess.Popen([*command, "--loglevel", loglevel], cwd=ROOT, env=env, stderr=output)
    proc.queue = queue
    return proc


def start_gunicorn(env: dict[str, str], output=None):
    """gunicorn with the project's gunicorn.conf.py on a free loopback port, once it answers
    (its log, on stderr, to `output`, a file, when given). Returns the process and its base URL."""
    import socket
    import time

    import requests

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "gunicorn", "aidtrack.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=output)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            requests.get(f"{url}/healthz", timeout=5)
            break
        except requests.RequestException:
            time.sleep(0.2)
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def celery_worker_process():
    """A real Celery worker process, consuming a queue of its own on the test Redis."""
    proc = start_celery_worker(f"test-{uuid.uuid4().hex[:8]}")
    yield proc
    stop(proc)


# The gazetteer's tables as load_gazetteer left them at the start of the run, in COPY's text format:
# a transactional test flushes the database, and copying them back takes a tenth of loading the
# files again (2.8 s, most of it building 5,251 settlements' INSERTs). test_gazetteer.py loads the files.
GAZETTEER_SNAPSHOT: dict[str, bytes] = {}


def _gazetteer_tables():
    from settlements.models import AdminArea, Settlement, SettlementAlias

    return [model._meta.db_table for model in (AdminArea, Settlement, SettlementAlias)]  # parents first


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database starts with the shipped gazetteer, as every installation does."""
    import io

    from django.db import connection

    from settlements.gazetteer import load_gazetteer

    with django_db_blocker.unblock():
        load_gazetteer()
        with connection.cursor() as cursor:
            for table in _gazetteer_tables():
                buffer = io.BytesIO()
                cursor.copy_expert(f"COPY {table} TO STDOUT", buffer)
                GAZETTEER_SNAPSHOT[table] = buffer.getvalue()


@pytest.fixture
def gazetteer(db):
    """The gazetteer, put back as it was loaded when a transactional test flushed it."""
    import io

    from django.db import connection

    from settlements.models import Settlement

    if Settlement.objects.exists():
        return
    with connection.cursor() as cursor:
        for table in _gazetteer_tables():
            cursor.copy_expert(f"COPY {table} FROM STDIN", io.BytesIO(GAZETTEER_SNAPSHOT[table]))
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT max(id) FROM {table}), 1))"  # noqa: S608
            )


@pytest.fixture
def dead_broker():
    """Redis gone: the Celery app publishes to a port nobody listens on (restored afterwards)."""
    from aidtrack.celery import app

    def forget_connections():
        app._pool = None
        app.amqp._producer_pool = None

    saved = (app.conf.broker_url, app.conf.task_publish_retry)
    app.conf.broker_url, app.conf.task_publish_retry = "redis://127.0.0.1:1/0", False
    forget_connections()
    yield
    app.conf.broker_url, app.conf.task_publish_retry = saved
    forget_connections()


@pytest.fixture
def staff_client(client):
    from settlements.roles import STAFF
    from tests import factories

    client.force_login(factories.user(role=STAFF, username="staff", member_of=[factories.staff_organization()]))
    return client


@pytest.fixture
def coordinator_client(client):
    from settlements.roles import COORDINATOR
    from tests import factories

    client.force_login(factories.user(role=COORDINATOR, username="coordinator"))
    return client


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
    # Every page must work under AidTrack's Content-Security-Policy: a blocked script or style fails the test.
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert violations == [], violations


@pytest.fixture
def published_list():
    """The outside world: a web server publishing the sample daily list. Yields its URL."""
    import http.server
    import threading

    body = (ROOT / "settlements/data/samples/settlement-list-2017-09-11.csv").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/settlement-list-2017-09-11.csv"
    server.shutdown()
    server.server_close()


# --- mail: a real SMTP server in the test process -----------------------------------------------


class Inbox:
    """An SMTP server's mailbox: every message it accepted, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted"

    def wait(self, count: int, timeout: float = 60) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.messages


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a loopback port, and AidTrack's mail settings pointed at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SITE_URL = "https://aidtrack.example.org"
    settings.ALERTS_QUEUE = f"alerts-{uuid.uuid4().hex[:8]}"  # nobody consumes it unless a test starts a worker
    inbox.port = controller.port
    yield inbox
    controller.stop()
