"""Who gets in and what hostile data can do: the threats in docs/SECURITY.md, one test each."""

import datetime
import os
import secrets
import subprocess
import sys

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.urls import reverse

from settlements.importing.service import import_from_source
from settlements.models import AdminArea, ListEntry, Settlement
from settlements.roles import COORDINATOR
from tests import factories
from tests.browser import PASSWORD
from tests.conftest import ROOT
from tests.test_deployment import ENV_EXAMPLE

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_the_deployment_check_reports_nothing_with_production_settings():
    """The documented production environment: .env.example with a real key in it."""
    env = {
        **os.environ,
        **ENV_EXAMPLE,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "aidtrack.settings",
    }
    assert env["DEBUG"] == "0" and env["ALLOWED_HOSTS"] and env["CSRF_TRUSTED_ORIGINS"].startswith("https://")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_login_is_locked_after_five_failures_even_with_the_right_password(client):
    factories.user(role=COORDINATOR, username="layla")
    for _ in range(5):
        client.post("/admin/login/?next=/", {"username": "layla", "password": "wrong"})
    locked = client.post("/admin/login/?next=/", {"username": "layla", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from elsewhere is not locked out with it.
    factories.user(role=COORDINATOR, username="sami")
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post("/admin/login/?next=/", {"username": "sami", "password": PASSWORD}).status_code == 302


ANONYMOUS_URLS = [
    "/",
    "/map/",
    "/map/settlements.geojson",
    "/map/camps.geojson",
    "/map/areas.geojson?level=2",
    "/map/settlements/1.json",
    "/settlements/",
    "/settlements/?export=csv",
    "/settlements/C2663/",
    "/camps/",
    "/camps/?export=xlsx",
    "/requests/",
    "/requests/?export=geojson",
    "/imports/",
    "/imports/1/",
    "/imports/1/report.csv",
    "/admin/",
]


@pytest.mark.parametrize("url", ANONYMOUS_URLS)
def test_every_page_and_export_sends_anonymous_visitors_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", ["/api/", "/api/settlements/", "/api/aid-requests/?format=csv", "/api/schema/"])
def test_the_api_answers_anonymous_callers_401(client, url):
    assert client.get(url).status_code == 401


def test_only_health_and_login_are_open(client):
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/admin/login/").status_code == 200


def test_sessions_expire_and_cookies_are_not_readable_by_scripts(settings, coordinator_client):
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    response = coordinator_client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_posts_without_a_csrf_token_are_refused(gazetteer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.user(superuser=True))
    assert client.post(reverse("imports:now")).status_code == 403
    body = {"settlement": "C2663", "category": "food", "quantity": "1", "unit": "t"}
    assert client.post("/api/aid-requests/", body, content_type="application/json").status_code == 403


def test_hostile_names_notes_and_list_cells_render_as_text(staff_client, tmp_path):
    settlement = Settlement.objects.create(
        pcode="C99990",
        name_en=HOSTILE,
        name_ar=HOSTILE,
        location=Point(37.5, 34.5, srid=4326),
        governorate=AdminArea.objects.get(pcode="SY04"),
        notes=HOSTILE,
        last_confirmed=datetime.date.today(),
    )
    organization = factories.organization(name=HOSTILE)
    camp = factories.camp(
        name_en=HOSTILE, notes=HOSTILE, access_constraints=HOSTILE, managing_organization=organization
    )
    request = factories.aid_request(settlement=settlement, description=HOSTILE, requesting_organization=organization)
    factories.delivery(request, "1", notes=HOSTILE, delivering_organization=organization)
    factories.aid_request(camp=camp, priority=4)
    listed = tmp_path / "hostile.csv"
    listed.write_text(f'P-code,Settlement,Population,Remarks\nC99990,Anything,10,"{HOSTILE}"\n', encoding="utf-8")
    import_from_source(str(listed))
    assert ListEntry.objects.filter(settlement=settlement).exists()

    pages = [
        "/",
        "/settlements/?q=C99990",
        "/camps/",
        "/requests/",
        f"/settlements/{settlement.pcode}/",
        f"/camps/{camp.pk}/",
        "/imports/",
        "/map/?q=" + HOSTILE,
    ]
    for url in pages:
        content = staff_client.get(url).content.decode()
        assert "<script>alert" not in content, url
        assert "<img src=x" not in content, url
    detail = staff_client.get(f"/settlements/{settlement.pcode}/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in detail
    popup = staff_client.get(reverse("map:settlement-popup", args=[settlement.pk]))
    assert popup["Content-Type"] == "application/json"  # never HTML: popups set it as text
