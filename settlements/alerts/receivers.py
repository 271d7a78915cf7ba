"""After each import: notices for the subscribers (and, when it failed, the operators), then their mail."""

from django.dispatch import receiver

from settlements.alerts import services
from settlements.alerts.tasks import queue_digests
from settlements.importing.signals import import_finished


@receiver(import_finished, dispatch_uid="settlements.alerts.after_import")
def tell_subscribers(sender, run, **kwargs):
    users = services.notices_after_import(run)
    queue_digests(services.digest_recipients(users, "import"))
