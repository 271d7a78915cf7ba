"""What changed for whom: notices after each import and each morning, and the digest e-mails.

Notices are computed here in the importing (or beat) process, in a few set-based queries; the
e-mails are sent by a Celery task per user (`settlements.alerts.tasks.send_alert_digest`), in the
user's language. A notice is one event for one user (its `key`): the morning check finds an
overdue request again every day but tells each user about it once.
"""

import logging
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from settlements.alerts.models import Notice, Subscription
from settlements.areas.levels import AREA_PATHS, LEVEL_FILTERS
from settlements.importing.service import NEEDS
from settlements.insights.trends import FIGURE_LABELS
from settlements.models import AidRequest, ImportRun, ListChange, Settlement, format_quantity
from settlements.places import local_name
from settlements.selectors import import_freshness

log = logging.getLogger(__name__)
OPERATOR_PERMISSION = "settlements.receive_operator_alerts"


# --- who ---------------------------------------------------------------------------------------


def operators():
    """Active users with an address who are told of every failed or late import."""
    users = get_user_model().objects.with_perm(OPERATOR_PERMISSION, backend="django.contrib.auth.backends.ModelBackend")
    return users.exclude(email="")


def subscriptions():
    return (
        Subscription.objects.filter(active=True, user__is_active=True).select_related("user").prefetch_related("areas")
    )


def _in_areas(subscription: Subscription, target: str, prefix: str = "") -> Q:
    """`target` ("settlement" or "camp", reached through `prefix`) lies in one of the areas."""
    areas = list(subscription.areas.all())
    if not areas:
        return Q()
    condition = Q(pk__in=[])
    for area in areas:
        condition |= Q(**{f"{prefix}{AREA_PATHS[target][LEVEL_FILTERS[area.level]]}": area})
    return condition


def _requests_in_scope(subscription: Subscription, requests):
    requests = requests.filter(
        _in_areas(subscription, "settlement", "settlement__") | _in_areas(subscription, "camp", "camp__")
    )
    if subscription.categories:
        requests = requests.filter(category__in=subscription.categories)
    return requests


# --- what --------------------------------------------------------------------------------------


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text not in ("", None) else None
    except InvalidOperation:
        return None


def is_jump(old: str, new: str, percent: int) -> bool:
    """A figure moved by `percent` or more of its old value, and by at least ALERT_JUMP_MINIMUM."""
    before, after = _number(old), _number(new)
    if before is None or after is None or before <= 0:
        return False
    change = abs(after - before)
    return change >= settings.ALERT_JUMP_MINIMUM and change * 100 >= before * percent


def _record(notices: list[Notice]) -> set[int]:
    """Store the notices not already known (per user and event); the users who got a new one."""
    if not notices:
        return set()
    known = set(
        Notice.objects.filter(user__in={n.user_id for n in notices}, key__in={n.key for n in notices}).values_list(
            "user_id", "key"
        )
    )
    fresh = {(n.user_id, n.key): n for n in notices if (n.user_id, n.key) not in known}
    Notice.objects.bulk_create(fresh.values(), ignore_conflicts=True)
    return {user for user, _key in fresh}


def _list_notices(subscription: Subscription, run: ImportRun) -> list[Notice]:
    """Settlements the run's list added or dropped, and figures that jumped, in the user's areas."""
    changes = ListChange.objects.filter(snapshot__import_run=run).filter(
        settlement__in=Settlement.objects.filter(_in_areas(subscription, "settlement"))
    )
    if subscription.categories:  # need figures count only for the categories chosen
        unwanted = [field for field, category in NEEDS.items() if category not in subscription.categories]
        changes = changes.exclude(kind=ListChange.Kind.CHANGED, field__in=unwanted)
    notices = []
    for change in changes.select_related("snapshot"):
        common = {"user": subscription.user, "settlement_id": change.settlement_id, "import_run": run}
        day = change.snapshot.list_date
        if change.kind == ListChange.Kind.ADDED:
            notices.append(
                Notice(kind=Notice.Kind.ADDED, key=f"added:{day}:{change.settlement_id}", happened_on=day, **common)
            )
        elif change.kind == ListChange.Kind.REMOVED:
            key = f"dropped:{day}:{change.settlement_id}"
            notices.append(Notice(kind=Notice.Kind.DROPPED, key=key, happened_on=day, **common))
        elif is_jump(change.old, change.new, subscription.jump_percent):
            key = f"jumped:{day}:{change.settlement_id}:{change.field}"
            notices.append(
                Notice(
                    kind=Notice.Kind.JUMPED,
                    key=key,
                    happened_on=day,
                    field=change.field,
                    old=change.old,
                    new=change.new,
                    **common,
                )
            )
    return notices


def notices_after_import(run: ImportRun) -> set[int]:
    """Record what a finished import means for each subscriber, and for operators if it failed.
    Returns the users with something new."""
    notices = []
    if run.status == ImportRun.Status.FAILED:
        day = timezone.localdate(run.finished_at or timezone.now())
        for user in operators():
            notices.append(
                Notice(
                    user=user, kind=Notice.Kind.IMPORT_FAILED, key=f"failed:{run.pk}", happened_on=day, import_run=run
                )
            )
    elif run.status == ImportRun.Status.SUCCEEDED:
        for subscription in subscriptions():
            notices += _list_notices(subscription, run)
    return _record(notices)


def notices_each_morning(today=None) -> set[int]:
    """Requests past their date (still uncovered, or covered by pledges but not delivered) in each
    subscriber's scope, and for operators a list that is late. Returns the users with something new."""
    today = today or timezone.localdate()
    past_due = AidRequest.objects.filter(status__in=AidRequest.OPEN_STATUSES, needed_by__lt=today).with_progress()
    notices = []
    for subscription in subscriptions():
        for request in _requests_in_scope(subscription, past_due).filter(gap__gt=0).only("pk", "needed_by"):
            kind = Notice.Kind.UNCOVERED if request.uncovered > 0 else Notice.Kind.OVERDUE
            notices.append(
                Notice(
                    user=subscription.user,
                    kind=kind,
                    key=f"{kind}:{request.pk}:{request.needed_by}",
                    happened_on=request.needed_by,
                    request_id=request.pk,
                )
            )
    freshness = import_freshness()
    if freshness.stale:
        for user in operators():
            notices.append(
                Notice(
                    user=user,
                    kind=Notice.Kind.LIST_LATE,
                    key=f"late:{today}",
                    happened_on=today,
                    import_run=freshness.last_success,
                )
            )
    return _record(notices)


def weekly_report_subscribers() -> list[int]:
    found = subscriptions().filter(weekly_report=True).exclude(user__email="")
    return sorted(found.values_list("user", flat=True))


def users_with_unsent_notices() -> set[int]:
    return set(Notice.objects.filter(emailed_at=None).values_list("user", flat=True).distinct())


def digest_recipients(users: set[int], occasion: str) -> list[int]:
    """Of `users`, those who want mail on this occasion ("import" or "morning"); operators are always
    mailed their operator notices."""
    wanted = "after_import" if occasion == "import" else "every_morning"
    subscribed = Subscription.objects.filter(user__in=users, active=True, **{wanted: True}).values_list(
        "user", flat=True
    )
    operating = Notice.objects.filter(user__in=users, emailed_at=None, kind__in=Notice.OPERATOR_KINDS)
    return sorted(set(subscribed) | set(operating.values_list("user", flat=True)))


# --- telling them ------------------------------------------------------------------------------


def unread_count(user) -> int:
    """The user's unread notices (in every page's navigation: one indexed count)."""
    return Notice.objects.filter(user=user, read_at=None).count()


def mark_read(user) -> int:
    """Every unread notice of the user, read now; returns how many."""
    return Notice.objects.filter(user=user, read_at=None).update(read_at=timezone.now())


@transaction.atomic
def save_subscription(
    *,
    user,
    areas,
    categories,
    jump_percent: int,
    after_import: bool,
    every_morning: bool,
    active: bool,
    weekly_report: bool = False,
):
    """A user's own alert subscription, created or changed."""
    subscription, _created = Subscription.objects.update_or_create(
        user=user,
        defaults={
            "categories": sorted(categories),
            "jump_percent": jump_percent,
            "after_import": after_import,
            "every_morning": every_morning,
            "weekly_report": weekly_report,
            "active": active,
        },
    )
    subscription.areas.set(areas)
    return subscription


def language_of(user) -> str:
    chosen = getattr(getattr(user, "preference", None), "language", "")
    return chosen or settings.LANGUAGE_CODE


def sections(notices, *, limit: int | None = None, site: str = "") -> list[dict]:
    """Notices grouped by kind, in Notice.Kind's order, each as its line and link in the active
    language; at most `limit` shown per kind, the rest counted."""
    by_kind = defaultdict(list)
    for notice in notices:
        by_kind[notice.kind].append(notice)
    groups = []
    for kind, label in Notice.Kind.choices:
        found = by_kind[kind]
        if not found:
            continue
        shown = found[:limit] if limit else found
        items = [notice_item(n, site) for n in shown]
        groups.append({"kind": kind, "title": str(label), "items": items, "total": len(found)})
    return groups


# What describing and linking a notice reads.
NOTICE_RELATED = ["settlement__governorate", "request__settlement", "request__camp", "import_run"]


def notice_item(notice: Notice, site: str = "") -> dict:
    """A notice with its line in the active language and its link (absolute with `site`)."""
    return {"notice": notice, "text": describe(notice), "url": site + link(notice)}


def subject(groups: list[dict]) -> str:
    counts = ", ".join(f"{group['title']}: {group['total']}" for group in groups)
    return _("AidTrack: %(counts)s") % {"counts": counts}


@transaction.atomic
def send_digest(user_id: int) -> int:
    """Mail the user everything not mailed yet, in their language; returns how many notices went.
    The notices are locked while the mail goes out, so two tasks never send the same one twice;
    if the mail fails, nothing is marked and the task retries."""
    user = get_user_model().objects.select_related("preference").filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return 0
    pending = list(
        Notice.objects.filter(user=user, emailed_at=None)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related(*NOTICE_RELATED)
        .order_by("happened_on", "pk")
    )
    if not pending:
        return 0
    with translation.override(language_of(user)):
        groups = sections(pending, limit=settings.ALERT_DIGEST_ITEMS, site=settings.SITE_URL)
        context = {"user": user, "groups": groups, "site": settings.SITE_URL, "notices_url": reverse("alerts:list")}
        message = EmailMultiAlternatives(
            subject=subject(groups),
            body=render_to_string("alerts/digest.txt", context),
            to=[user.email],
        )
        message.attach_alternative(render_to_string("alerts/digest.html", context), "text/html")
        message.send()
    Notice.objects.filter(pk__in=[notice.pk for notice in pending]).update(emailed_at=timezone.now())
    log.info("alert digest of %d notice(s) mailed to user %s", len(pending), user.pk)
    return len(pending)


def describe(notice: Notice) -> str:
    """One line about the notice, in the active language."""
    day = date_format(notice.happened_on)
    if notice.kind == Notice.Kind.IMPORT_FAILED:
        run = notice.import_run
        return _("The import of %(source)s failed: %(error)s") % {
            "source": run.source if run else "?",
            "error": (run.error if run else "")[:300],
        }
    if notice.kind == Notice.Kind.LIST_LATE:
        run = notice.import_run
        if run is None:
            return _("No daily list has been imported yet.")
        hours = int((timezone.now() - run.finished_at).total_seconds() // 3600)
        return ngettext(
            "No daily list has been imported for %(hours)s hour (the last on %(day)s).",
            "No daily list has been imported for %(hours)s hours (the last on %(day)s).",
            hours,
        ) % {
            "hours": number_format(hours, force_grouping=True),
            "day": date_format(timezone.localtime(run.finished_at)),
        }
    if notice.request_id:
        request = notice.request
        place = request.settlement or request.camp
        values = {
            "category": request.get_category_display(),
            "place": local_name(place),
            "quantity": format_quantity(request.quantity),
            "unit": request.get_unit_display(),
            "day": day,
        }
        if notice.kind == Notice.Kind.UNCOVERED:
            return (
                _("%(category)s for %(place)s, %(quantity)s %(unit)s needed by %(day)s: nobody has pledged all of it.")
                % values
            )
        return _("%(category)s for %(place)s, %(quantity)s %(unit)s needed by %(day)s: not delivered yet.") % values
    place = notice.settlement
    values = {"place": local_name(place), "pcode": place.pcode, "day": day}
    if notice.kind == Notice.Kind.ADDED:
        return _("%(place)s (%(pcode)s) is on the list of %(day)s.") % values
    if notice.kind == Notice.Kind.DROPPED:
        return _("%(place)s (%(pcode)s) is no longer on the list of %(day)s.") % values
    label = FIGURE_LABELS.get(notice.field) or Settlement._meta.get_field(notice.field).verbose_name
    return _("%(field)s of %(place)s (%(pcode)s): %(old)s → %(new)s on the list of %(day)s.") % {
        **values,
        "field": label,
        "old": format_quantity(_number(notice.old)),
        "new": format_quantity(_number(notice.new)),
    }


def link(notice: Notice) -> str:
    """Where the notice's subject lives in AidTrack (a path)."""
    if notice.request_id:
        place = notice.request.settlement or notice.request.camp
        if notice.request.settlement_id:
            return reverse("tables:settlement", args=[place.pcode])
        return reverse("tables:camp", args=[place.pk])
    if notice.settlement_id:
        return reverse("tables:settlement", args=[notice.settlement.pcode])
    if notice.import_run_id:
        return reverse("imports:detail", args=[notice.import_run_id])
    return reverse("imports:list")
