"""Building a situation report outside the page too: the weekly report mailed to subscribers."""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import BadRequest
from django.core.mail import EmailMessage
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from settlements.alerts.models import Subscription
from settlements.alerts.services import language_of
from settlements.areas.levels import LEVEL_FILTERS, chosen_area
from settlements.filters import AidRequestFilterSet, SettlementFilterSet
from settlements.models import AidRequest, Settlement
from settlements.places import local_name
from settlements.reports.pdf import render_pdf
from settlements.reports.selectors import Period, situation_report

log = logging.getLogger(__name__)
WEEK = 7
MAILED_AREAS = 5  # a weekly mail carries at most this many areas' reports


def report_context(params: QueryDict, period: Period) -> dict:
    """What the report's templates show, for the tables' filters in `params`."""
    requests = AidRequestFilterSet(params, queryset=AidRequest.objects.all())
    settlements = SettlementFilterSet(params, queryset=Settlement.objects.all())
    for filterset in (requests, settlements):
        if not filterset.is_valid():
            raise BadRequest("; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()))
    area = chosen_area(requests)
    query = params.copy()
    query.pop("format", None)
    return {
        "report": situation_report(requests.qs, settlements.qs, period, area),
        "area_name": local_name(area) if area else None,
        "generated": timezone.localtime(),
        "query": query.urlencode(),
    }


def report_pdf(params: QueryDict, period: Period) -> bytes:
    return render_pdf(render_to_string("reports/sitrep_pdf.html", report_context(params, period)))


def pdf_name(area, period: Period) -> str:
    return (
        f"aidtrack-sitrep-{area.pcode if area else 'SY'}-{period.start}-{period.end}-{translation.get_language()}.pdf"
    )


def send_weekly_report(user_id: int, today: datetime.date | None = None) -> int:
    """Mail a subscriber last week's report of each area they follow (all of Syria when none), as
    PDFs, in their language. Returns how many reports went."""
    user = get_user_model().objects.select_related("preference").filter(pk=user_id, is_active=True).first()
    subscription = Subscription.objects.filter(user_id=user_id, active=True, weekly_report=True).first()
    if user is None or not user.email or subscription is None:
        return 0
    end = (today or timezone.localdate()) - datetime.timedelta(days=1)
    period = Period(end - datetime.timedelta(days=WEEK - 1), end)
    areas = list(subscription.areas.order_by("level", "pcode")[:MAILED_AREAS]) or [None]
    with translation.override(language_of(user)):
        message = EmailMessage(
            subject=_("AidTrack: situation report, %(start)s to %(end)s")
            % {
                "start": date_format(period.start),
                "end": date_format(period.end),
            },
            body=render_to_string(
                "reports/weekly.txt",
                {
                    "user": user,
                    "period": period,
                    "areas": [local_name(a) if a else _("Syria") for a in areas],
                    "site": settings.SITE_URL + reverse("alerts:list"),
                },
            ),
            to=[user.email],
        )
        for area in areas:
            params = QueryDict(mutable=True)
            if area is not None:
                params[LEVEL_FILTERS[area.level]] = area.pcode
            message.attach(pdf_name(area, period), report_pdf(params, period), "application/pdf")
        message.send()
    log.info("weekly situation report(s) for %d area(s) mailed to user %s", len(areas), user.pk)
    return len(areas)
