"""Has the daily import's schedule slot passed without a scheduled import?

Beat sends the daily import through Redis. If Redis is down at that moment, beat logs the failure
and moves on to the next slot: without help the list would wait a day. The catch-up task, sent
every few minutes, asks this module whether a slot was missed and, once Redis is back, starts
the import that should have run.
"""

import datetime

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from settlements.models import ImportRun

DAILY_TASK = "settlements.import_daily_list"
# A slot this recent is the regular import's to run; catching up starts only after it.
GRACE = datetime.timedelta(minutes=10)


def missed_slot() -> bool:
    """True when an enabled daily schedule had a slot, more than GRACE ago, after the last scheduled
    import began (after the last import of any kind, or a day ago, when none ever ran on schedule).

    The schedule's own last_run_at cannot tell: beat records it even when sending failed."""
    now = timezone.now()  # the schedule's is_due() measures from the present too
    task = PeriodicTask.objects.filter(task=DAILY_TASK, enabled=True).order_by("pk").first()
    if task is None:
        return False
    runs = ImportRun.objects.order_by("-started_at")
    last = runs.filter(trigger=ImportRun.Trigger.SCHEDULE).first() or runs.first()
    since = last.started_at if last else now - datetime.timedelta(days=1)
    schedule = task.schedule
    slot_since_last = schedule.is_due(since).is_due
    slot_just_now = schedule.is_due(now - GRACE).is_due
    return slot_since_last and not slot_just_now
