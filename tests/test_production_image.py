"""The Docker image's steps, mirrored here (Docker cannot run on these machines): static files collected
with DEBUG off, then gunicorn with the production settings serving real pages and those files."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from aidtrack.health import record_heartbeat
from settlements.roles import STAFF
from tests import factories
from tests.conftest import ROOT, celery_env, start_gunicorn
from tests.test_deployment import SERVICES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PASSWORD = "a long production password"
HOST = "aidtrack.example.org"


def production_env(static_root) -> dict[str, str]:
    env = celery_env(
        DJANGO_SETTINGS_MODULE="aidtrack.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
    )
    env["REDIS_URL"] = env.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/10")  # the tests' Redis, not make run's
    return env


def dockerfile_step(word: str) -> str:
    """The shell command of the Dockerfile's RUN instruction that mentions `word`."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    [command] = [line[4:] for line in text.splitlines() if line.startswith("RUN ") and word in line]
    return command


@pytest.fixture
def production_server(gazetteer, tmp_path):
    env = production_env(tmp_path / "static")
    collected = subprocess.run(
        ["sh", "-c", dockerfile_step("collectstatic")],
        cwd=ROOT,
        env={**env, "SECRET_KEY": "", "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"},
        capture_output=True,
        text=True,
    )
    assert collected.returncode == 0, collected.stderr
    proc, url = start_gunicorn({**env, "WEB_CONCURRENCY": "2"})
    try:
        yield url, tmp_path / "static"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Browser:
    """Requests as they reach gunicorn behind the HTTPS proxy (X-Forwarded-Proto), with the secure
    cookies that a plain-HTTP client would otherwise keep to itself."""

    def __init__(self, url: str):
        self.url, self.cookies = url, {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Referer": f"https://{HOST}/admin/login/"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(
            method, self.url + path, headers=headers, allow_redirects=False, timeout=30, **kwargs
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def log_in(self, username: str) -> None:
        self.request("GET", "/admin/login/")
        data = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        response = self.request("POST", "/admin/login/?next=/", data=data)
        assert response.status_code == 302 and "sessionid" in self.cookies, response.text[:500]


def test_the_image_collects_its_static_files_with_debug_off_and_serves_pages_with_them(production_server):
    url, static_root = production_server
    user = factories.user(role=STAFF, username="prod-staff")
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "productiontest", iterations=1000)
    user.save()
    browser = Browser(url)

    browser.log_in("prod-staff")
    pages = {path: browser.request("GET", path) for path in ["/", "/map/", "/requests/", "/admin/"]}

    assert {path: r.status_code for path, r in pages.items()} == dict.fromkeys(pages, 200)
    assert (static_root / "staticfiles.json").exists()
    scripts = set(re.findall(r'src="(/static/[^"]+)"', pages["/map/"].text))
    assert scripts and all(re.search(r"\.[0-9a-f]{12}\.js$", src) for src in scripts), scripts  # hashed names
    for src in scripts:
        served = browser.request("GET", src)
        assert served.status_code == 200 and "immutable" in served.headers.get("Cache-Control", ""), src
    health = browser.request("GET", "/healthz").json()  # over plain HTTP, as the container check calls it
    # The database and Redis answer (Celery is well only while some worker's heartbeat is fresh).
    assert (health["checks"]["database"]["ok"], health["checks"]["redis"]["ok"]) == (True, True)


def test_the_compose_health_check_reaches_healthz_through_the_allowed_hosts(production_server):
    url, _ = production_server
    check = SERVICES["web"]["healthcheck"]["test"]
    command = check[1].replace("$$", "$").replace("http://127.0.0.1:8000", url)
    container_env = {"PATH": os.environ["PATH"], "ALLOWED_HOSTS": f"{HOST},www.{HOST}"}

    record_heartbeat()  # a worker's, so that Celery counts as healthy
    passed = subprocess.run(["sh", "-c", command], env=container_env, capture_output=True, text=True)
    other_host = requests.get(f"{url}/healthz", timeout=10)  # Host: 127.0.0.1, not an allowed one

    assert check[0] == "CMD-SHELL"
    assert passed.returncode == 0, passed.stderr
    assert json.loads(passed.stdout) == {"status": "ok"}
    assert other_host.status_code == 400
