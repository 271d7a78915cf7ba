"""Logs an operator can use: one line per request (RequestLogMiddleware) and per Celery task (the
task signals below), as text or, with LOG_FORMAT=json, one JSON object per line; every line an
import writes carries its run's id (`import_run`).

The fields of a request line: method, path, status, duration_ms, user (id), remote_addr; of a task
line: task, task_id, state, duration_ms, and import_run when the task ran an import.
"""

import contextlib
import contextvars
import logging
import time

from celery.signals import task_postrun, task_prerun
from pythonjsonlogger.json import JsonFormatter

_import_run = contextvars.ContextVar("import_run", default=None)
request_log = logging.getLogger("aidtrack.request")
task_log = logging.getLogger("aidtrack.task")


@contextlib.contextmanager
def import_run_context(run_id: int | None):
    """Every log line written inside names this import run."""
    token = _import_run.set(run_id)
    try:
        yield
    finally:
        _import_run.reset(token)


class ImportRunFilter(logging.Filter):
    """Adds `import_run` to the lines written while an import runs."""

    def filter(self, record):
        run = _import_run.get()
        if run is not None and not hasattr(record, "import_run"):
            record.import_run = run
        return True


class TextFormatter(logging.Formatter):
    def format(self, record):
        line = super().format(record)
        run = getattr(record, "import_run", None)
        return f"{line} [import run {run}]" if run is not None else line


def json_formatter() -> JsonFormatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


class RequestLogMiddleware:
    """One line per request, once its response is ready (a streamed export's line is written when
    the stream starts)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        # The user only if the request already looked them up (Django's auth middleware caches them
        # here): asking now would cost a session query, and fail if the database has just gone.
        user = getattr(request, "_cached_user", None)
        fields = {
            "method": request.method,
            "path": request.get_full_path(),
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user": user.pk if user is not None and user.is_authenticated else None,
            "remote_addr": request.META.get("REMOTE_ADDR", ""),
        }
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        request_log.log(
            level,
            "%s %s %s %.0fms",
            fields["method"],
            fields["path"],
            fields["status"],
            duration_ms,
            extra=fields,
        )
        return response


_task_started: dict[str, float] = {}


@task_prerun.connect
def _task_starts(task_id=None, **kwargs):
    _task_started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_ends(task_id=None, task=None, retval=None, state=None, **kwargs):
    started = _task_started.pop(task_id, None)
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    fields = {"task": task.name, "task_id": task_id, "state": state, "duration_ms": duration_ms}
    if isinstance(retval, dict) and retval.get("run"):
        fields["import_run"] = retval["run"]
    level = logging.INFO if state in ("SUCCESS", "RETRY") else logging.ERROR
    task_log.log(level, "task %s %s %s %sms", task.name, task_id, state, duration_ms, extra=fields)
