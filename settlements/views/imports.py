"""Thin views: check access, ask a selector or service, render."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from settlements import selectors
from settlements.importing.report import entry_report_rows, report_csv
from settlements.models import ImportRun
from settlements.tasks import import_daily_list

log = logging.getLogger(__name__)
ROWS_PER_PAGE = 100


@login_required
@permission_required("settlements.view_importrun", raise_exception=True)
def import_list(request):
    runs = Paginator(ImportRun.objects.select_related("triggered_by"), 50).get_page(request.GET.get("page"))
    context = {
        "runs": runs,
        "freshness": selectors.import_freshness(),
        "waiting_for_review": selectors.review_queue().count(),
        "can_import": request.user.has_perm("settlements.run_import") and bool(settings.SETTLEMENT_LIST_URL),
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
