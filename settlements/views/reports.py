"""The situation report, as a printable page and as a PDF."""

import datetime

from django import forms
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from settlements.reports.pdf import render_pdf
from settlements.reports.selectors import Period
from settlements.reports.services import pdf_name, report_context
from settlements.views.common import can_view

LONGEST_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 7


class PeriodForm(forms.Form):
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)


def report_period(request) -> Period:
    """?from=...&to=... (ISO dates, inclusive); the last DEFAULT_PERIOD_DAYS days by default."""
    form = PeriodForm({"start": request.GET.get("from"), "end": request.GET.get("to")})
    if not form.is_valid():
        raise BadRequest("from and to must be dates (YYYY-MM-DD)")
    end = form.cleaned_data["end"] or timezone.localdate()
    start = form.cleaned_data["start"] or end - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if start > end:
        raise BadRequest("from must not be after to")
    if (end - start).days >= LONGEST_PERIOD_DAYS:
        raise BadRequest(f"a report covers at most {LONGEST_PERIOD_DAYS} days")
    return Period(start, end)


@can_view("aidrequest")
def sitrep(request):
    period = report_period(request)
    context = report_context(request.GET, period)
    if request.GET.get("format") == "pdf":
        response = HttpResponse(render_pdf(render_to_string("reports/sitrep_pdf.html", context)), "application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pdf_name(context["report"].area, period)}"'
        return response
    return render(request, "reports/sitrep.html", context)
