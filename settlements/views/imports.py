"""Thin views: check access, ask a selector or service, render."""

import datetime
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from settlements import selectors
from settlements.importing import uploads
from settlements.importing.forms import NewImportForm
from settlements.importing.progress import progress_of
from settlements.importing.report import entry_report_rows, report_csv
from settlements.models import ImportRun, ListSource
from settlements.sources import selectors as sources
from settlements.tasks import import_daily_list

log = logging.getLogger(__name__)
ROWS_PER_PAGE = 100


@login_required
@permission_required("settlements.view_importrun", raise_exception=True)
def import_list(request):
    runs = ImportRun.objects.select_related("triggered_by", "list_source")
    runs = Paginator(runs, 50).get_page(request.GET.get("page"))
    context = {
        "runs": runs,
        "freshness": selectors.import_freshness(),
        "waiting_for_review": selectors.review_queue().count(),
        "disagreements": sources.open_disagreements().count(),
        "can_import": request.user.has_perm("settlements.run_import") and bool(settings.SETTLEMENT_LIST_URL),
        "can_upload": request.user.has_perm("settlements.run_import"),
        "source": settings.SETTLEMENT_LIST_URL,
    }
    return render(request, "imports/list.html", context)


@login_required
@permission_required("settlements.view_importrun", raise_exception=True)
def import_detail(request, pk):
    run = get_object_or_404(ImportRun, pk=pk)
    snapshot = run.snapshots.first()
    show = request.GET.get("rows", "problems")
    show = show if show in selectors.ROW_OUTCOME_VIEWS else "problems"
    context = {"run": run, "snapshot": snapshot, "show": show, "row_views": selectors.ROW_OUTCOME_VIEWS}
    context["progress"] = progress_of(run)
    if snapshot:
        # Both lists page through what is stored: a list of 100,000 bad rows is 1,000 pages, not one.
        rows = Paginator(selectors.row_outcomes(snapshot, show), ROWS_PER_PAGE)
        context["rows"] = rows.get_page(request.GET.get("page"))
        context["rows_query"] = f"rows={show}"
        changes = Paginator(snapshot.changes.select_related("settlement").order_by("pk"), ROWS_PER_PAGE)
        context["changes"] = changes.get_page(request.GET.get("changes_page"))
        context["conflicts"] = snapshot.conflicts.select_related("settlement", "corrected_by")[:ROWS_PER_PAGE]
    return render(request, "imports/detail.html", context)


@login_required
@permission_required("settlements.view_importrun", raise_exception=True)
def import_report(request, pk):
    run = get_object_or_404(ImportRun, pk=pk)
    snapshot = get_object_or_404(run.snapshots)
    entries = snapshot.entries.select_related("settlement").order_by("row")
    response = HttpResponse(report_csv(entry_report_rows(entries)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="aidtrack-reconciliation-{snapshot.list_date}.csv"'
    return response


@require_POST
@login_required
@permission_required("settlements.run_import", raise_exception=True)
def import_now(request):
    if not settings.SETTLEMENT_LIST_URL:
        messages.error(request, _("SETTLEMENT_LIST_URL is not set, so there is no list to import."))
        return redirect("imports:list")
    try:
        import_daily_list.delay(trigger=ImportRun.Trigger.STAFF, user_id=request.user.pk)
    except Exception:  # the broker (Redis) is down: say so instead of failing the page
        log.warning("could not queue an import", exc_info=True)
        messages.error(request, _("The task queue is unreachable, so the import was not started. Try again later."))
    else:
        messages.success(request, _("Import started. Refresh this page in a minute to see it."))
    return redirect("imports:list")


@login_required
@permission_required("settlements.view_importrun", raise_exception=True)
def import_progress(request, pk):
    """What the run's progress bar shows, asked every second while the run is queued or running."""
    run = get_object_or_404(ImportRun, pk=pk)
    return JsonResponse(
        {"status": run.status, "label": run.get_status_display(), "error": run.error, **progress_of(run)}
    )


# --- a list staff upload -------------------------------------------------------------------


@login_required
@permission_required("settlements.run_import", raise_exception=True)
def new_import(request):
    form = NewImportForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        source, handed, url = form.cleaned_data["source"], form.cleaned_data["file"], form.cleaned_data["url"]
        try:
            content, name = (handed.read(), handed.name) if handed else (uploads.fetch_list(url, source), url)
            held = uploads.hold(content=content, name=name, user=request.user, source=source)
        except uploads.UploadError as error:
            form.add_error("file" if handed else "url", str(error))
        else:
            query = f"?list_date={form.cleaned_data['list_date']}" if form.cleaned_data["list_date"] else ""
            return redirect(reverse("imports:preview", args=[held.token]) + query)
    return render(request, "imports/new.html", {"form": form, "sources": ListSource.objects.all()})


@login_required
@permission_required("settlements.run_import", raise_exception=True)
def preview_import(request, token):
    """The held list's first rows with a select per column; "Check" runs a dry run with the mapping
    chosen, "Import" queues the import and saves the mapping on the source."""
    held = uploads.held_list(token, request.user)
    if held is None:
        messages.error(request, _("This upload has expired or is not yours. Upload the list again."))
        return redirect("imports:new")
    source = get_object_or_404(ListSource, pk=request.POST.get("source") or held.source_id)
    list_date = _date(request.POST.get("list_date") or request.GET.get("list_date"))
    context = {"held": held, "source": source, "sources": ListSource.objects.all(), "list_date": list_date}
    by_hand = None
    if request.method == "POST":
        by_hand = {int(k[4:]): v for k, v in request.POST.items() if k.startswith("map-") and k[4:].isdigit()}
    try:
        preview = context["preview"] = uploads.preview(held, source, by_hand)
    except uploads.UploadError as error:
        context["read_error"] = str(error)
        return render(request, "imports/preview.html", context)
    context["fields"] = uploads.field_choices()
    action = request.POST.get("action")
    if by_hand is not None and preview.ready:
        if action == "import":
            run = uploads.start_import(
                content_path=held.path,
                name=held.name,
                source=source,
                mapping=preview.mapping,
                list_date=list_date,
                user=request.user,
            )
            return redirect("imports:detail", run.pk)
        if action == "check":
            context["check"] = uploads.dry_run(held, source, preview.mapping, list_date)
    return render(request, "imports/preview.html", context)


def _date(text):
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None
