"""Reads shared by pages, the API and exports: querysets and summary figures."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from settlements.models import ImportRun, ListEntry


@dataclass
class ImportFreshness:
    last_success: ImportRun | None
    stale: bool
    age_hours: float | None


def import_freshness() -> ImportFreshness:
    """The last import that succeeded (or found nothing new), and whether it is too old to trust."""
    done = [ImportRun.Status.SUCCEEDED, ImportRun.Status.UNCHANGED]
    last = ImportRun.objects.filter(status__in=done).order_by("-finished_at").first()
    if last is None:
        return ImportFreshness(None, True, None)
    age = timezone.now() - last.finished_at
    return ImportFreshness(
        last, age > datetime.timedelta(hours=settings.IMPORT_STALE_HOURS), age.total_seconds() / 3600
    )


def review_queue():
    return ListEntry.objects.filter(outcome=ListEntry.Outcome.REVIEW)
