"""The published list fetched over HTTP from a local server standing in for the outside world."""

import http.server
import threading
import time
from pathlib import Path

import pytest

from settlements.importing.fetch import FetchError, SourceRefused
from settlements.importing.service import import_from_source
from settlements.models import ImportRun

pytestmark = pytest.mark.django_db

LIST = (Path(__file__).resolve().parent.parent / "settlements/data/samples/settlement-list-2017-09-11.csv").read_bytes()


class Publisher(http.server.BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def do_GET(self):
        Publisher.hits[self.path] = Publisher.hits.get(self.path, 0) + 1
        if self.path == "/list-2017-09-11.csv":
            self._send(200, LIST)
        elif self.path == "/flaky.csv":  # fails twice, then publishes
            self._send(500, b"busy") if Publisher.hits[self.path] <= 2 else self._send(200, LIST)
        elif self.path == "/down.csv":
            self._send(500, b"down")
        elif self.path == "/slow.csv":
            time.sleep(3)
            self._send(200, LIST)
        elif self.path == "/moved.csv":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
        elif self.path == "/moved-here.csv":
            self.send_response(301)
            self.send_header("Location", "/list-2017-09-11.csv")
            self.end_headers()
        else:
            self._send(404, b"no")

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def publisher(settings):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Publisher)
    Publisher.hits = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SETTLEMENT_LIST_URL = f"{base}/list-2017-09-11.csv"
    settings.IMPORT_FETCH_BACKOFF = 0
    settings.IMPORT_FETCH_TIMEOUT = 1
    yield base
    server.shutdown()
    server.server_close()


def test_it_imports_the_list_from_the_configured_url(publisher):
    run = import_from_source(f"{publisher}/list-2017-09-11.csv").run

    assert (run.status, run.rows, run.matched) == ("succeeded", 69, 69)
    assert run.source.startswith("http://127.0.0.1")


def test_a_server_error_is_retried_until_it_passes(publisher):
    run = import_from_source(f"{publisher}/flaky.csv").run

    assert run.status == "succeeded"
    assert Publisher.hits["/flaky.csv"] == 3


def test_a_server_that_keeps_failing_is_a_failed_run_saying_so(publisher, settings):
    settings.IMPORT_FETCH_RETRIES = 1

    with pytest.raises(FetchError, match="500"):
        import_from_source(f"{publisher}/down.csv")

    failed = ImportRun.objects.get()
    assert failed.status == "failed"
    assert "500" in failed.error


def test_a_server_too_slow_to_answer_times_out(publisher, settings):
    settings.IMPORT_FETCH_RETRIES = 0
    started = time.monotonic()

    with pytest.raises(FetchError, match="Timeout"):
        import_from_source(f"{publisher}/slow.csv")

    assert time.monotonic() - started < 2.5


def test_a_redirect_to_another_host_is_refused(publisher):
    with pytest.raises(SourceRefused, match=r"169\.254\.169\.254"):
        import_from_source(f"{publisher}/moved.csv")

    assert ImportRun.objects.get().status == "failed"


def test_a_redirect_within_the_source_is_followed(publisher):
    assert import_from_source(f"{publisher}/moved-here.csv").run.status == "succeeded"


def test_only_the_configured_source_may_be_fetched(publisher, settings):
    settings.SETTLEMENT_LIST_URL = "https://lists.example.org/daily.csv"

    with pytest.raises(SourceRefused, match="not on the configured list source"):
        import_from_source(f"{publisher}/list-2017-09-11.csv")

    assert Publisher.hits == {}


def test_a_download_over_the_cap_is_refused(publisher, settings):
    settings.IMPORT_MAX_BYTES = 1000

    with pytest.raises(SourceRefused, match="larger than"):
        import_from_source(f"{publisher}/list-2017-09-11.csv")
