"""Every 15 minutes, check whether the daily import's slot passed without an import (Redis was
down when beat sent it) and start it; editable in the admin like the daily schedule."""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "Catch up a missed daily import"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_15_minutes, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "settlements.catch_up_daily_list",
            "interval": every_15_minutes,
            "description": "Starts the daily import when its slot passed without one, e.g. while Redis was down.",
            "expire_seconds": 14 * 60,  # a stale check is dropped; the next one comes soon
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("settlements", "0004_interface_languages")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
