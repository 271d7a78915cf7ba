"""What /healthz reports: the database, Redis, and a Celery heartbeat.

Anyone (a load balancer, the container's health check) gets ok or not ok, and the status code.
Which check failed and why, with the age of the last successful import, is for staff signed in
or for a caller with the HEALTHZ_TOKEN from the environment (`Authorization: Bearer ...`).

Beat sends the `aidtrack.heartbeat` task every CELERY_HEARTBEAT_INTERVAL seconds and a
worker runs it, so a fresh heartbeat shows that both are alive. Workers also leave one
when they start, so a new deployment is healthy before beat's first tick.
"""

import hmac
import os
import socket
import time

import redis
from celery.signals import worker_ready
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from aidtrack.celery import app

HEARTBEAT_KEY = "celery:heartbeat"


def record_heartbeat() -> dict:
    beat = {"at": time.time(), "host": socket.gethostname(), "pid": os.getpid()}
    cache.set(HEARTBEAT_KEY, beat, timeout=2 * settings.CELERY_HEARTBEAT_MAX_AGE)
    return beat


@app.task(name="aidtrack.heartbeat", ignore_result=False)
def heartbeat() -> dict:
    return record_heartbeat()


@worker_ready.connect
def _heartbeat_on_worker_start(**kwargs):
    record_heartbeat()


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def check_redis() -> dict:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def check_celery() -> dict:
    beat = cache.get(HEARTBEAT_KEY)
    if beat is None:
        return {"ok": False, "error": "no worker heartbeat recorded"}
    age = round(time.time() - beat["at"], 1)
    if age > settings.CELERY_HEARTBEAT_MAX_AGE:
        return {"ok": False, "error": f"last worker heartbeat {age:.0f} s ago", "heartbeat_age_s": age}
    return {"ok": True, "heartbeat_age_s": age}


CHECKS = {"database": check_database, "redis": check_redis, "celery": check_celery}


def run_checks() -> dict[str, dict]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports every failure, whatever its kind
            results[name] = {"ok": False, "error": exc.__class__.__name__}
    return results


def may_see_detail(request) -> bool:
    token = settings.HEALTHZ_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        return request.user.is_authenticated and request.user.is_staff
    except Exception:  # the session store is the database that may be down: no detail, still an answer
        return False


def last_import_age_hours() -> float | None:
    from settlements.selectors import import_freshness

    age = import_freshness().age_hours
    return None if age is None else round(age, 1)


@never_cache
@require_GET
def healthz(request):
    checks = run_checks()
    failed = sorted(name for name, result in checks.items() if not result["ok"])
    body = {"status": "fail" if failed else "ok"}
    if may_see_detail(request):
        body |= {"failed": failed, "checks": checks}
        if checks["database"]["ok"]:
            body["last_import_age_h"] = last_import_age_hours()
    return JsonResponse(body, status=503 if failed else 200)
