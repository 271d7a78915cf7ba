import django_filters as df
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from settlements.coordination.models import Pledge
from settlements.filters import area_field
from settlements.models import AdminArea, AidRequest, Organization


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


LEVELS = [("1", _("Governorates")), ("2", _("Districts")), ("3", _("Sub-districts"))]
DEFAULT_LEVEL = "2"


class PresenceFilterSet(df.FilterSet):
    """Who does what where: pledges and deliveries (and, for gaps and uncovered areas, requests),
    filtered on the names `coordination.selectors.located` gives them all: org, area1..3, category, on.

    Parameters: organization (repeatable), governorate / district / sub_district (P-codes),
    category (repeatable), from / to (dates, inclusive), level (1, 2 or 3: the areas rows are
    grouped by; 2 by default).
    """

    organization = df.ModelMultipleChoiceFilter(
        label=_("Organisation"), queryset=Organization.objects.order_by("name"), method="filter_organization"
    )
    governorate = area_field(AdminArea.Level.GOVERNORATE, _("Governorate"))
    district = area_field(AdminArea.Level.DISTRICT, _("District"))
    sub_district = area_field(AdminArea.Level.SUB_DISTRICT, _("Sub-district"))
    category = df.MultipleChoiceFilter(label=_("Category"), choices=AidRequest.Category.choices)
    level = df.ChoiceFilter(label=_("Areas"), choices=LEVELS, method="group_only", empty_label=None)

    AREA_NAMES = {"governorate": "area1", "district": "area2", "sub_district": "area3"}
    FOR_REQUESTS = ("governorate", "district", "sub_district", "category")  # the needs' own filters

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            chosen = QueryDict(mutable=True)
            for key, values in data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items()):
                chosen.setlist(key, values)
            if not chosen.get("level"):
                chosen["level"] = DEFAULT_LEVEL  # shown selected in the form too
            data = chosen
        super().__init__(data, *args, **kwargs)

    def filter_area(self, queryset, name, value):
        return queryset.filter(**{self.AREA_NAMES[name]: value.pcode})

    def filter_organization(self, queryset, name, value):
        return queryset.filter(org__in=[organization.pk for organization in value]) if value else queryset

    def group_only(self, queryset, name, value):
        return queryset  # chooses the grouping, not the rows

    @property
    def area_level(self) -> int:
        return int((self.form.cleaned_data.get("level") if self.is_valid() else None) or DEFAULT_LEVEL)

    def filter_requests(self, queryset):
        """Apply the area and category filters (not organisation or dates) to located requests."""
        for name in self.FOR_REQUESTS:
            value = self.form.cleaned_data.get(name)
            if value not in (None, "", []):
                queryset = self.filters[name].filter(queryset, value)
        return queryset


# `from` and `to` are Python keywords, so they cannot be declared as class attributes.
PresenceFilterSet.base_filters["from"] = df.DateFilter(
    label=_("From"), field_name="on", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
)
PresenceFilterSet.base_filters["to"] = df.DateFilter(
    label=_("To"), field_name="on", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
)
