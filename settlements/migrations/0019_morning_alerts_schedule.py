"""Each morning at 07:00 Damascus time (after the 06:00 import) AidTrack records what is overdue,
uncovered or late, and mails every subscriber their digest; editable in the admin."""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "Send the morning alert digests"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="7", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Damascus"
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "settlements.alerts_every_morning",
            "crontab": crontab,
            "description": "Overdue and uncovered requests, late lists; then one e-mail per subscriber.",
            "expire_seconds": 6 * 3600,
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("settlements", "0018_alerts"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
