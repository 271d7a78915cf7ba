import django_filters as df
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from settlements.coordination.models import Pledge
from settlements.filters import area_field
from settlements.models import AdminArea, AidRequest


class PledgeFilterSet(df.FilterSet):
    """Pledges by organisation, request, status, the request's category and area, and expected date."""

    organization = df.NumberFilter(field_name="organization")
    request = df.NumberFilter(field_name="request")
    status = df.ChoiceFilter(label=_("Status"), choices=Pledge.Status.choices)
    open = df.BooleanFilter(label=_("Open"), method="filter_open")
    category = df.ChoiceFilter(label=_("Category"), field_name="request__category", choices=AidRequest.Category.choices)
    governorate = area_field(AdminArea.Level.GOVERNORATE, _("Governorate"))
    expected_after = df.DateFilter(label=_("Expected on or after"), field_name="expected_on", lookup_expr="gte")
    expected_before = df.DateFilter(label=_("Expected on or before"), field_name="expected_on", lookup_expr="lte")

    class Meta:
        model = Pledge
        fields = []

    def filter_open(self, queryset, name, value):
        condition = Q(status__in=Pledge.OPEN_STATUSES)
        return queryset.filter(condition if value else ~condition)

    def filter_area(self, queryset, name, value):
        return queryset.filter(Q(request__settlement__governorate=value) | Q(request__camp__governorate=value))
