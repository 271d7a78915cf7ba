"""Inlines the aid request's admin page shows: pledges beside deliveries, both in the request's unit."""

from django.contrib import admin

from settlements.coordination.forms import RightsFormSet, RightsInlineMixin
from settlements.coordination.models import Pledge


class InRequestUnitFormSet(RightsFormSet):
    """Pledges and deliveries under a request are counted in its unit, set here rather than typed."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.unit = self.instance.unit
        return form


class PledgeInline(RightsInlineMixin, admin.TabularInline):
    model = Pledge
    formset = InRequestUnitFormSet
    fields = ["organization", "quantity", "unit", "expected_on", "status", "notes"]
    readonly_fields = ["unit"]
    autocomplete_fields = ["organization"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization")
