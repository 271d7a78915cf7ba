"""The user's own exports: being prepared (with progress), ready to download, expired."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from settlements.exports import selectors
from settlements.exports.models import ExportJob
from settlements.tables import TABLES


def _own(request, token) -> ExportJob:
    """The user's export, or 404: another person's export does not exist for them."""
    job = selectors.export_of(request.user, token)
    if job is None:
        raise Http404
    return job


def _status(job: ExportJob) -> dict:
    ready = job.status == ExportJob.Status.READY
    return {
        "status": job.status,
        "label": str(job.get_status_display()),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "download": reverse("exports:download", args=[job.token]) if ready else None,
        "error": job.error,
    }


@login_required
def export_list(request):
    context = {"jobs": selectors.exports_of(request.user)[:100], "tables": TABLES}
    return render(request, "exports/list.html", context)


@login_required
def export_detail(request, token):
    job = _own(request, token)
    context = {"job": job, "table": TABLES[job.table], "status": _status(job)}
    return render(request, "exports/detail.html", context)


@never_cache
@login_required
def export_status(request, token):
    return JsonResponse(_status(_own(request, token)))


@login_required
def export_download(request, token):
    job = _own(request, token)
    model = TABLES[job.table].model._meta.model_name
    if job.status != ExportJob.Status.READY or not request.user.has_perm(f"settlements.view_{model}"):
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1])
