"""Large spreadsheets built in the background: asked for on a table page, built by a worker with its
progress on record, kept EXPORT_LIFETIME_HOURS for the person who asked, then deleted."""

import datetime
import logging

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation

from settlements.exports import formats
from settlements.exports.models import ExportJob
from settlements.pagination import EstimatedCountPaginator
from settlements.tables import TABLES, Table

log = logging.getLogger(__name__)
# Parameters that say how to show a table, not which rows it holds.
NOT_FILTERS = ("export", "page")


def runs_in_background(export: str, queryset) -> bool:
    """Spreadsheets above EXPORT_BACKGROUND_ROWS rows; CSV, HXL and GeoJSON always stream."""
    if export != "xlsx":
        return False
    return EstimatedCountPaginator(queryset.values_list("pk", flat=True), 1).count > settings.EXPORT_BACKGROUND_ROWS


def start_export(*, user, table: Table, export: str, query: QueryDict, language: str) -> ExportJob:
    """The user's export of these rows: one already queued or running for the same rows, or a new one
    handed to a worker once this transaction commits."""
    parameters = {key: query.getlist(key) for key in sorted(query) if key not in NOT_FILTERS}
    wanted = {"user": user, "table": table.name, "format": export, "parameters": parameters, "language": language}
    job = ExportJob.objects.filter(**wanted, status__in=ExportJob.OPEN_STATUSES).first()
    if job is not None:
        return job
    job = ExportJob.objects.create(**wanted)
    from settlements.exports.tasks import build_export  # the task module imports this one

    queue = settings.EXPORT_QUEUE
    transaction.on_commit(lambda: build_export.apply_async(args=[job.pk], task_id=str(job.token), queue=queue))
    return job


def _progress(job: ExportJob):
    def record(rows_done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=rows_done)

    return record


def build_export(*, job_id: int) -> ExportJob | None:
    """Build the job's file (a redelivered job after a worker died starts again from the first row)."""
    job = ExportJob.objects.filter(pk=job_id, status__in=ExportJob.OPEN_STATUSES).first()
    if job is None:
        return None
    table = TABLES[job.table]
    query = QueryDict(mutable=True)
    for key, values in job.parameters.items():
        query.setlist(key, values)
    try:
        with translation.override(job.language):
            filterset = table.filterset(query, queryset=table.model.objects.all())
            if not filterset.is_valid():
                raise ValueError(f"the filters are no longer valid: {dict(filterset.errors)}")
            job.status, job.rows_done = ExportJob.Status.RUNNING, 0
            job.rows_total = filterset.qs.count()
            job.save(update_fields=["status", "rows_done", "rows_total"])
            handle = formats.xlsx_file(table, table.exported(filterset.qs), progress=_progress(job))
            name = formats.file_name(table, {k: ",".join(v) for k, v in job.parameters.items()}, job.format)
        with handle:
            job.file.save(name, File(handle), save=False)
    except Exception as exc:  # the job says it failed, whatever the reason; the worker's log has the rest
        log.exception("export %s failed", job.pk)
        job.status, job.error, job.finished_at = ExportJob.Status.FAILED, str(exc)[:2000], timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    job.status, job.rows_done, job.size = ExportJob.Status.READY, job.rows_total, job.file.size
    job.finished_at = timezone.now()
    job.expires_at = job.finished_at + datetime.timedelta(hours=settings.EXPORT_LIFETIME_HOURS)
    job.save(update_fields=["status", "rows_done", "size", "file", "finished_at", "expires_at"])
    return job


def delete_expired_exports() -> int:
    """Files past their lifetime are deleted and their jobs marked expired; jobs a dead worker left
    open past the task time limit are marked failed. Returns how many files went."""
    now = timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.READY, expires_at__lte=now):
        job.file.delete(save=False)
        job.status = ExportJob.Status.EXPIRED
        job.save(update_fields=["status", "file"])
        expired += 1
    abandoned_before = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    ExportJob.objects.filter(status__in=ExportJob.OPEN_STATUSES, created_at__lt=abandoned_before).update(
        status=ExportJob.Status.FAILED, error="The worker stopped before the export was ready.", finished_at=now
    )
    return expired
