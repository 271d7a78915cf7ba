"""Celery tasks for background exports: thin wrappers around the services."""

from celery import shared_task

from settlements.exports import services


@shared_task(name="settlements.build_export", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def build_export(job_id: int) -> None:
    services.build_export(job_id=job_id)


@shared_task(name="settlements.delete_expired_exports", ignore_result=True)
def delete_expired_exports() -> int:
    return services.delete_expired_exports()
