import time

import pytest
from django.core.cache import cache
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from aidtrack.celery import app
from aidtrack.health import HEARTBEAT_KEY, heartbeat

pytestmark = pytest.mark.slow


def test_a_real_worker_runs_a_task_through_redis_and_returns_its_result(celery_worker_process):
    cache.delete(HEARTBEAT_KEY)
    started = time.time()

    result = heartbeat.apply_async(queue=celery_worker_process.queue).get(timeout=60)

    # The result came back through the Redis result backend from the worker process.
    assert result["pid"] == celery_worker_process.pid
    assert result["at"] >= started
    assert app.conf.broker_url.startswith("redis://")
    # The worker wrote the heartbeat that /healthz reads.
    assert cache.get(HEARTBEAT_KEY)["pid"] == celery_worker_process.pid


def test_celery_is_configured_for_safe_json_tasks():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.worker_prefetch_multiplier == 1
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert conf.task_soft_time_limit < conf.task_time_limit < visibility


@pytest.mark.django_db(transaction=True)
def test_beat_keeps_its_schedule_in_the_database_with_the_heartbeat_on_it():
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"

    DatabaseScheduler(app=app)

    task = PeriodicTask.objects.get(name="celery-heartbeat")
    assert task.task == "aidtrack.heartbeat"
    assert task.enabled
