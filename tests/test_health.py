import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from aidtrack.health import HEARTBEAT_KEY, record_heartbeat

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"
TOKEN = "a-monitoring-token-from-the-environment"


@pytest.fixture
def client(client, settings):
    """A monitor with the token: it sees which check failed."""
    settings.HEALTHZ_TOKEN = TOKEN
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


def test_it_reports_200_when_database_redis_and_celery_are_healthy(client):
    record_heartbeat()

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "celery": True,
    }


def test_it_reports_503_naming_celery_when_no_worker_left_a_heartbeat(client):
    cache.delete(HEARTBEAT_KEY)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["celery"]


def test_it_reports_503_naming_celery_when_the_heartbeat_is_stale(client, settings):
    record_heartbeat()
    settings.CELERY_HEARTBEAT_MAX_AGE = -1

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["celery"]
    assert "heartbeat" in response.json()["checks"]["celery"]["error"]


def test_it_reports_503_naming_redis_when_redis_is_unreachable(client):
    dead_cache = {
        "default": {
            "BACKEND": "aidtrack.cache.ExpiringRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    with override_settings(CELERY_BROKER_URL=DEAD_REDIS, CACHES=dead_cache):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["celery", "redis"]
    assert body["checks"]["database"]["ok"] is True


def test_it_needs_no_login_and_reveals_no_configuration(client, settings):
    response = client.get("/healthz")

    text = json.dumps(response.json())
    assert settings.SECRET_KEY not in text
    assert "127.0.0.1" not in text
    assert response["Cache-Control"].startswith("max-age=0")


def test_anonymous_callers_learn_only_ok_or_not_ok(settings):
    from django.test import Client

    settings.HEALTHZ_TOKEN = TOKEN
    cache.delete(HEARTBEAT_KEY)
    anonymous, wrong_token = Client(), Client(HTTP_AUTHORIZATION="Bearer not-the-token")

    for caller in (anonymous, wrong_token):
        response = caller.get("/healthz")
        assert (response.status_code, response.json()) == (503, {"status": "fail"})


def test_signed_in_staff_see_the_detail_and_the_last_import_age():
    from django.test import Client

    from settlements.models import ImportRun
    from tests import factories

    record_heartbeat()
    ImportRun.objects.create(source="list.csv", status="succeeded", finished_at=timezone.now() - timedelta(hours=5))
    staff = Client()
    staff.force_login(factories.user())

    body = staff.get("/healthz").json()

    assert (body["status"], body["failed"], set(body["checks"])) == ("ok", [], {"database", "redis", "celery"})
    assert body["last_import_age_h"] == 5.0


def test_every_cache_key_expires_so_redis_evicts_cache_entries_before_broker_queues():
    cache.set("kept-forever", 1, timeout=None)

    client = cache._cache.get_client(write=False)
    ttl = client.ttl(cache.make_and_validate_key("kept-forever"))

    assert 0 < ttl <= 7 * 24 * 3600
