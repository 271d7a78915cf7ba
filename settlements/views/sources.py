"""Disagreements between list sources: the review list, and staff's choice of the list that stands."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from settlements.models import ListSnapshot, SourceDisagreement
from settlements.sources import selectors, services


@login_required
@permission_required("settlements.view_settlement", raise_exception=True)
def disagreements(request):
    page = Paginator(selectors.open_disagreements(), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "sources/disagreements.html",
        {"disagreements": page, "days": settings.SOURCE_DISAGREEMENT_DAYS},
    )


@require_POST
@login_required
@permission_required("settlements.change_settlement", raise_exception=True)
def choose(request, pk):
    disagreement = get_object_or_404(SourceDisagreement.objects.select_related("settlement"), pk=pk)
    snapshot = get_object_or_404(ListSnapshot.objects.select_related("list_source"), pk=request.POST.get("list"))
    try:
        services.choose_list(disagreement=disagreement, snapshot=snapshot, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(figure)s of %(settlement)s: %(source)s's value stands.")
            % {
                "figure": disagreement.field_label,
                "settlement": disagreement.settlement,
                "source": snapshot.list_source,
            },
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "imports:disagreements"
    return redirect(target)
