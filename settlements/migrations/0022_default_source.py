"""Every list imported so far came from one source, the published daily list: it becomes the default
source, owns the daily import's schedule, and every earlier run and list is its."""

from django.db import migrations
from django.utils import timezone

DEFAULT_NAME = "Daily settlement list"
DAILY_TASK = "settlements.import_daily_list"


def create_default_source(apps, schema_editor):
    ListSource = apps.get_model("settlements", "ListSource")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule = PeriodicTask.objects.filter(task=DAILY_TASK).order_by("pk").first()
    source, _ = ListSource.objects.get_or_create(
        is_default=True,
        defaults={
            "name": DEFAULT_NAME,
            "kind": "url",
            "schedule": schedule,
            "notes": "The published daily list (SETTLEMENT_LIST_URL).",
            "created_at": timezone.now(),
        },
    )
    apps.get_model("settlements", "ListSnapshot").objects.filter(list_source=None).update(list_source=source)
    apps.get_model("settlements", "ImportRun").objects.filter(list_source=None).update(list_source=source)


class Migration(migrations.Migration):
    dependencies = [
        ("settlements", "0021_list_sources"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_default_source, migrations.RunPython.noop),
    ]
