"""Celery tasks: thin wrappers that take primitives and call the import service."""

import datetime
import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from settlements.caching import data_version
from settlements.importing.fetch import FetchError
from settlements.importing.progress import CachedProgress
from settlements.importing.schedule import missed_slot
from settlements.importing.service import ImportBusy, close_abandoned_runs, import_from_source
from settlements.insights import dashboard
from settlements.models import ImportRun, ListSource
from settlements.sources.services import default_source
from settlements.tables import warm_totals
from settlements.views import maps

log = logging.getLogger(__name__)
CATCH_UP_GUARD_SECONDS = 3 * 3600  # one catch-up per slot; a new one after this if that one never ran
# A queued import (upload page, API) finding another one running tries again every 15 s, for an hour.
BUSY_RETRY_SECONDS = 15
BUSY_RETRIES = 240


@shared_task(
    name="settlements.import_daily_list",
    bind=True,
    # Acknowledged only when done: a worker killed mid-import leaves the message for another worker,
    # and the import's transaction, never committed, leaves nothing behind.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(FetchError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=6,
)
def import_daily_list(
    self,
    source: str = "",
    trigger: str = ImportRun.Trigger.SCHEDULE,
    user_id: int | None = None,
    source_id: int | None = None,
    run_id: int | None = None,
    mapping: dict | None = None,
    list_date: str | None = None,
):
    """Import a list source's list (the default source's, SETTLEMENT_LIST_URL, when none is named),
    or the file or URL `source` as that source's; returns the run's summary.

    A run queued by the upload page or the API (`run_id`) shows its progress while it runs, and waits
    (the task retries) while another import holds the lock."""
    list_source = ListSource.objects.filter(pk=source_id).first() if source_id else default_source()
    if list_source is None:
        return {"status": ImportRun.Status.SKIPPED, "error": f"The list source {source_id} no longer exists."}
    source = source or list_source.list_url
    if not source:
        log.warning("import_daily_list: %s has no URL (SETTLEMENT_LIST_URL is not set); nothing to import", list_source)
        return {"status": ImportRun.Status.SKIPPED, "error": "SETTLEMENT_LIST_URL is not set."}
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    run = ImportRun.objects.filter(pk=run_id).first() if run_id else None
    try:
        # The task's id ties a redelivery (after the worker died) to the run the first delivery started.
        result = import_from_source(
            source,
            list_source=list_source,
            mapping=mapping,
            list_date=datetime.date.fromisoformat(list_date) if list_date else None,
            trigger=trigger,
            user=user,
            task_id=self.request.id or "",
            run=run,
            progress=CachedProgress(),
            wait_when_busy=run is not None,
            queued=True,
        )
    except ImportBusy as exc:
        if self.request.retries >= BUSY_RETRIES:
            return _give_up_waiting(run)
        raise self.retry(exc=exc, countdown=BUSY_RETRY_SECONDS, max_retries=BUSY_RETRIES) from None
    return result.summary()


def _give_up_waiting(run: ImportRun) -> dict:
    """A queued import that waited its hour for the lock fails on record instead of staying queued."""
    minutes = BUSY_RETRY_SECONDS * BUSY_RETRIES // 60
    run.status, run.finished_at = ImportRun.Status.FAILED, timezone.now()
    run.error = f"Another import held the lock for over {minutes} minutes; this one was not started. Import it again."
    run.save()
    return {"status": run.status, "error": run.error}


@worker_ready.connect
def close_runs_left_by_dead_workers(**kwargs):
    """A worker starting up closes the runs a killed worker left `running` (when no import is live)."""
    closed = close_abandoned_runs()
    if closed:
        log.warning("closed %d import run(s) left running by a worker that stopped", closed)


@shared_task(name="settlements.catch_up_daily_list", bind=True)
def catch_up_daily_list(self):
    """Start the daily import when its slot passed without one (Redis was down when beat sent it).

    Sent by beat every 15 minutes; once per missed slot (a cache key guards against queueing it
    twice while the first waits for a worker), and the import's own slot check skips a late
    original that arrives after all.
    """
    if not settings.SETTLEMENT_LIST_URL or not missed_slot():
        return {"status": "nothing missed"}
    if not cache.add(f"daily-import-catch-up:{timezone.localdate()}", True, timeout=CATCH_UP_GUARD_SECONDS):
        return {"status": "already caught up"}
    log.warning("the daily import's schedule slot passed without an import; starting it now")
    # The import goes where this check came from: the queue the beat entry names.
    queue = (self.request.delivery_info or {}).get("routing_key")
    import_daily_list.apply_async(queue=queue)
    return {"status": "started"}


@shared_task(name="settlements.warm_dashboard", ignore_result=True)
def warm_dashboard(version: int) -> str:
    """After a write: build the map's first view, the tables' totals and the dashboard's figures for the
    data as it now is, so no visitor waits for them; nothing when the data changed again since (the
    later task builds)."""
    if data_version() != version:
        return "superseded"
    maps.warm_first_view()
    warm_totals()
    dashboard.warm()
    return "warmed"
