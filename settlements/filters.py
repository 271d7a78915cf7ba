"""FilterSets shared by the map, the tables, the exports and the API: one filter, one meaning.

Every page takes the same parameters:
  governorate, district, sub_district
                          admin P-codes (SY07, SY0700, SY070000); a camp lies in the district and
                          sub-district of the settlement it is near
  category                settlements and camps with an open need of that category; requests of it
  priority                settlements and camps whose most urgent open need has it (0 = no open need);
                          requests of that priority
  status                  settlements and camps with a request in that status; requests in it
  on_list                 on the latest daily list (true/false)
  stale                   last confirmed by a list more than STALE_AFTER_DAYS ago (true/false)
  water, electricity      settlements whose water or electricity is none, partial or restored
  demining                settlements not_cleared, partly_cleared, cleared or unknown
  q                       text in any script: P-code, English, Arabic, or any spelling the matcher knows
  sort                    a column, with '-' for descending
"""

import datetime

import django_filters as df
from django import forms
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from settlements.areas.levels import AREA_PATHS
from settlements.matching import name_key
from settlements.models import AdminArea, AidRequest, Camp, Settlement, SettlementAlias
from settlements.places import local_name

PRIORITY_CHOICES = [(0, _("none")), *AidRequest.Priority.choices]


def stale_before() -> datetime.date:
    """Settlements last confirmed before this day are stale."""
    return timezone.localdate() - datetime.timedelta(days=settings.STALE_AFTER_DAYS)


def stale_condition(path: str, stale: bool) -> Q:
    cutoff = stale_before()
    return Q(**{f"{path}__lt": cutoff}) if stale else Q(**{f"{path}__gte": cutoff})


def settlement_text_condition(text: str, prefix: str = "") -> Q:
    """A settlement named `text` in any script or spelling, or with that P-code."""
    text = text.strip()
    condition = (
        Q(**{f"{prefix}pcode__iexact": text})
        | Q(**{f"{prefix}name_en__icontains": text})
        | Q(**{f"{prefix}name_ar__icontains": text})
    )
    key = name_key(text)
    if key:
        aliases = SettlementAlias.objects.filter(settlement=OuterRef(f"{prefix}pk"), keys__contains=[key])
        condition |= Q(**{f"{prefix}name_keys__contains": [key]}) | Q(Exists(aliases))
    return condition


def camp_text_condition(text: str, prefix: str = "") -> Q:
    text = text.strip()
    return Q(**{f"{prefix}name_en__icontains": text}) | Q(**{f"{prefix}name_ar__icontains": text})


class SortFilter(df.OrderingFilter):
    """Order by a column, up or down; rows without a value come last either way."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        column = F(self.param_map[param.lstrip("-")])
        return column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)


class AnyYesNo(df.widgets.BooleanWidget):
    """Yes / no, or blank for either; blank values stay out of the URL."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("any")), ("true", _("yes")), ("false", _("no"))]


def yes_no(label: str, **kwargs) -> df.BooleanFilter:
    return df.BooleanFilter(label=label, widget=AnyYesNo, **kwargs)


class AreaSelect(forms.Select):
    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        if option["value"]:
            option["attrs"]["translate"] = "no"  # a place name, not interface text
        return option


class AreaChoiceField(forms.ModelChoiceField):
    widget = AreaSelect

    def label_from_instance(self, area):
        return local_name(area)


@extend_schema_field(OpenApiTypes.STR)
class AreaFilter(df.ModelChoiceFilter):
    """An administrative area, named by its P-code; its name in the interface language."""

    field_class = AreaChoiceField


def area_field(level: AdminArea.Level, label: str) -> AreaFilter:
    return AreaFilter(
        label=label,
        queryset=AdminArea.objects.filter(level=level).order_by("name_en"),
        to_field_name="pcode",
        method="filter_area",
    )


class TargetFilterSet(df.FilterSet):
    """Settlements and camps, filtered by what is known about them and by their aid requests."""

    request_field = ""  # how an AidRequest points at the target: "settlement" or "camp"

    governorate = area_field(AdminArea.Level.GOVERNORATE, _("Governorate"))
    district = area_field(AdminArea.Level.DISTRICT, _("District"))
    sub_district = area_field(AdminArea.Level.SUB_DISTRICT, _("Sub-district"))
    category = df.ChoiceFilter(label=_("Open need"), choices=AidRequest.Category.choices, method="filter_category")
    priority = df.ChoiceFilter(label=_("Most urgent need"), choices=PRIORITY_CHOICES, method="filter_priority")
    status = df.ChoiceFilter(label=_("Request status"), choices=AidRequest.Status.choices, method="filter_status")
    uncovered = yes_no(_("Need nobody covers"), method="filter_uncovered")
    q = df.CharFilter(label=_("Search"), method="filter_text")

    def requests(self, **conditions):
        return AidRequest.objects.filter(**{self.request_field: OuterRef("pk")}, **conditions)

    def filter_area(self, queryset, name, value):
        return queryset.filter(**{AREA_PATHS[self.request_field][name]: value})

    def filter_category(self, queryset, name, value):
        return queryset.filter(Exists(self.requests(category=value, status__in=AidRequest.OPEN_STATUSES)))

    def filter_priority(self, queryset, name, value):
        """The most urgent open need has this priority; 0 means no open need at all."""
        value = int(value)
        more_urgent = self.requests(status__in=AidRequest.OPEN_STATUSES, priority__gt=value)
        queryset = queryset.filter(~Exists(more_urgent))
        if value:
            queryset = queryset.filter(Exists(self.requests(status__in=AidRequest.OPEN_STATUSES, priority=value)))
        return queryset

    def filter_status(self, queryset, name, value):
        return queryset.filter(Exists(self.requests(status=value)))

    def filter_uncovered(self, queryset, name, value):
        """An open request with something nobody has delivered or pledged (or, with no, none such)."""
        uncovered = self.requests(status__in=AidRequest.OPEN_STATUSES).with_progress().filter(uncovered__gt=0)
        return queryset.filter(Exists(uncovered) if value else ~Exists(uncovered))


class SettlementFilterSet(TargetFilterSet):
    request_field = "settlement"

    on_list = yes_no(_("On the latest list"), field_name="on_latest_list")
    stale = yes_no(_("Stale"), method="filter_stale")
    water = df.ChoiceFilter(label=_("Water supply"), field_name="water_supply", choices=Settlement.Supply.choices)
    electricity = df.ChoiceFilter(
        label=_("Electricity"), field_name="electricity_supply", choices=Settlement.Supply.choices
    )
    demining = df.ChoiceFilter(label=_("Demining"), choices=Settlement.Demining.choices)
    sort = SortFilter(
        fields=[
            ("name_en", "name"),
            ("pcode", "pcode"),
            ("governorate__name_en", "governorate"),
            ("population", "population"),
            ("last_listed", "last_listed"),
            ("last_confirmed", "last_confirmed"),
        ]
    )

    class Meta:
        model = Settlement
        fields = []

    def filter_stale(self, queryset, name, value):
        return queryset.filter(stale_condition("last_confirmed", value))

    def filter_text(self, queryset, name, value):
        return queryset.filter(settlement_text_condition(value))


class CampFilterSet(TargetFilterSet):
    request_field = "camp"

    camp_status = df.ChoiceFilter(label=_("Camp"), field_name="status", choices=Camp.Status.choices)
    sort = SortFilter(
        fields=[
            ("name_en", "name"),
            ("governorate__name_en", "governorate"),
            ("population", "population"),
            ("capacity", "capacity"),
            ("last_assessed", "last_assessed"),
        ]
    )

    class Meta:
        model = Camp
        fields = []

    def filter_text(self, queryset, name, value):
        return queryset.filter(camp_text_condition(value))


class AidRequestFilterSet(df.FilterSet):
    governorate = area_field(AdminArea.Level.GOVERNORATE, _("Governorate"))
    district = area_field(AdminArea.Level.DISTRICT, _("District"))
    sub_district = area_field(AdminArea.Level.SUB_DISTRICT, _("Sub-district"))
    category = df.ChoiceFilter(label=_("Category"), choices=AidRequest.Category.choices)
    priority = df.ChoiceFilter(label=_("Priority"), choices=PRIORITY_CHOICES)
    status = df.ChoiceFilter(label=_("Status"), choices=AidRequest.Status.choices)
    on_list = yes_no(_("On the latest list"), field_name="settlement__on_latest_list")
    stale = yes_no(_("Stale"), method="filter_stale")
    uncovered = yes_no(_("Need nobody covers"), method="filter_uncovered")
    source = df.ChoiceFilter(label=_("Source"), choices=AidRequest.Source.choices)
    target = df.ChoiceFilter(
        label=_("For"), choices=[("settlement", _("settlements")), ("camp", _("camps"))], method="filter_target"
    )
    q = df.CharFilter(label=_("Search"), method="filter_text")
    sort = SortFilter(
        fields=[
            ("priority", "priority"),
            ("category", "category"),
            ("quantity", "quantity"),
            ("status", "status"),
            ("needed_by", "needed_by"),
            ("created_at", "created"),
            ("id", "id"),
        ]
    )

    class Meta:
        model = AidRequest
        fields = []

    def filter_area(self, queryset, name, value):
        return queryset.filter(
            Q(**{f"settlement__{AREA_PATHS['settlement'][name]}": value})
            | Q(**{f"camp__{AREA_PATHS['camp'][name]}": value})
        )

    def filter_stale(self, queryset, name, value):
        return queryset.filter(stale_condition("settlement__last_confirmed", value))

    def filter_uncovered(self, queryset, name, value):
        """Open requests with something nobody has delivered or pledged (or, with no, the rest)."""
        covered = AidRequest.objects.with_progress().filter(pk=OuterRef("pk"), uncovered__gt=0)
        condition = Q(status__in=AidRequest.OPEN_STATUSES) & Exists(covered)
        return queryset.filter(condition if value else ~condition)

    def filter_target(self, queryset, name, value):
        return queryset.filter(**{f"{value}__isnull": False})

    def filter_text(self, queryset, name, value):
        return queryset.filter(
            settlement_text_condition(value, prefix="settlement__") | camp_text_condition(value, prefix="camp__")
        )
