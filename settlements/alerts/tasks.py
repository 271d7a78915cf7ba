"""Celery tasks of the alerts: the morning check (beat, 07:00) and one digest e-mail per user."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings

from settlements.alerts import services

log = logging.getLogger(__name__)


@shared_task(
    name="settlements.send_alert_digest",
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def send_alert_digest(user_id: int) -> int:
    """Mail one user what they have not been mailed yet; a mail server that is down is retried."""
    return services.send_digest(user_id)


@shared_task(name="settlements.alerts_every_morning")
def alerts_every_morning() -> dict:
    """Record the morning's notices, then queue a digest for each user who wants one."""
    users = services.notices_each_morning()
    unsent = services.users_with_unsent_notices()
    recipients = services.digest_recipients(users | unsent, "morning")
    queue_digests(recipients)
    return {"notified": len(users), "mailed": len(recipients)}


@shared_task(
    name="settlements.send_weekly_report",
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=300,
    retry_backoff_max=6 * 3600,
    max_retries=6,
)
def send_weekly_report(user_id: int) -> int:
    from settlements.reports.services import send_weekly_report as send

    return send(user_id)


@shared_task(name="settlements.weekly_reports")
def weekly_reports() -> dict:
    """Beat, each Monday: one task per subscriber who asked for the weekly situation report."""
    users = services.weekly_report_subscribers()
    for user_id in users:
        send_weekly_report.apply_async(args=[user_id], queue=settings.ALERTS_QUEUE or None)
    return {"queued": len(users)}


def queue_digests(users) -> int:
    """One digest task per user. With the broker down the notices stay unsent, in the app, and the
    next morning's digest carries them."""
    queued = 0
    for user_id in users:
        try:
            send_alert_digest.apply_async(args=[user_id], queue=settings.ALERTS_QUEUE or None)
        except Exception:
            log.warning("could not queue the alert digest of user %s", user_id, exc_info=True)
        else:
            queued += 1
    return queued
