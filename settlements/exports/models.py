import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStorage(FileSystemStorage):
    """Built files live in EXPORT_DIR, outside the static and media folders: only their view hands
    them out. The folder is read from the settings each time, not fixed when the model loads."""

    @property
    def base_location(self):
        return settings.EXPORT_DIR

    @property
    def location(self):
        return str(Path(settings.EXPORT_DIR).resolve())


def export_storage() -> FileSystemStorage:
    return ExportStorage()


def export_path(job: "ExportJob", filename: str) -> str:
    return f"{job.user_id}/{job.token}/{filename}"


class ExportJob(models.Model):
    """A large export built by a worker, kept for EXPORT_LIFETIME_HOURS for the user who asked."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    OPEN_STATUSES = (Status.QUEUED, Status.RUNNING)

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="exports"
    )
    table = models.CharField(_("table"), max_length=20)
    format = models.CharField(_("format"), max_length=10)
    # The table's filter and sort parameters as the page had them, and the interface language.
    parameters = models.JSONField(_("parameters"), default=dict)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), storage=export_storage, upload_to=export_path, max_length=500, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("task"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="exportjob_user_recent")]

    def __str__(self):
        return f"{self.table}.{self.format} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
