"""A user's notices and their alert subscription."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from settlements.alerts import services
from settlements.alerts.forms import SubscriptionForm
from settlements.alerts.models import Notice, Subscription

PER_PAGE = 50


@login_required
def notice_list(request):
    notices = Notice.objects.filter(user=request.user).select_related(*services.NOTICE_RELATED)
    page = Paginator(notices, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "items": [services.notice_item(notice) for notice in page],
        "subscription": Subscription.objects.filter(user=request.user).first(),
    }
    return render(request, "alerts/notices.html", context)


@require_POST
@login_required
def mark_all_read(request):
    marked = services.mark_read(request.user)
    messages.success(
        request,
        ngettext("%(count)s notice marked as read.", "%(count)s notices marked as read.", marked) % {"count": marked},
    )
    return redirect("alerts:list")


@login_required
def subscription(request):
    current = Subscription.objects.filter(user=request.user).first()
    form = SubscriptionForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.save_subscription(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your alerts are saved."))
        return redirect("alerts:list")
    return render(request, "alerts/subscription.html", {"form": form}, status=400 if form.errors else 200)
