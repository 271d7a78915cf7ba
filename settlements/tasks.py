"""Celery tasks: thin wrappers that take primitives and call the import service."""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model

from settlements.importing.fetch import FetchError
from settlements.importing.service import import_from_source
from settlements.models import ImportRun

log = logging.getLogger(__name__)


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
def import_daily_list(self, source: str = "", trigger: str = ImportRun.Trigger.SCHEDULE, user_id: int | None = None):
    """Import the configured daily list (or `source`); returns the run's summary."""
    source = source or settings.SETTLEMENT_LIST_URL
    if not source:
        log.warning("import_daily_list: SETTLEMENT_LIST_URL is not set; nothing to import")
        return {"status": ImportRun.Status.SKIPPED, "error": "SETTLEMENT_LIST_URL is not set."}
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return import_from_source(source, trigger=trigger, user=user).summary()
