"""The coordinators' tables: their columns, rows and totals, shared by the pages and the exports.

A table's rows are plain dicts from `.values()`, so an export streams them from a server-side
cursor without building model instances, and the page shows exactly what the export writes.
Each column carries its HXL 1.1 hashtag for the HXL export.
"""

from dataclasses import dataclass, field

from django.db.models import Case, CharField, F, FloatField, Func, Sum, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext_lazy as _

from settlements import selectors
from settlements.caching import cached, parameters_key
from settlements.filters import AidRequestFilterSet, CampFilterSet, SettlementFilterSet
from settlements.models import AidRequest, Camp
from settlements.places import arabic_first


class X(Func):
    function = "ST_X"
    output_field = FloatField()


class Y(Func):
    function = "ST_Y"
    output_field = FloatField()


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    hxl: str
    sort: str = ""  # the `sort` parameter value that orders by this column
    numeric: bool = False
    choices: dict = field(default_factory=dict)  # stored value -> label

    def shows(self):
        """A function from a row to what this column shows: the value, or its choice's label in the
        interface language, translated here once rather than once per cell (an export writes a
        million rows)."""
        key = self.key
        if not self.choices:
            return lambda row: row.get(key)
        labels = {value: str(label) for value, label in self.choices.items()}
        return lambda row: labels.get(row.get(key), row.get(key))


LOCATION = [
    Column("lat", _("Latitude"), "#geo+lat", numeric=True),
    Column("lon", _("Longitude"), "#geo+lon", numeric=True),
]
PRIORITY_LABELS = {0: _("none"), **dict(AidRequest.Priority.choices)}


def area_name(*paths: str):
    """An admin area's name in the interface language: Arabic on Arabic pages where known."""
    names = [F(f"{path}__name_en") for path in paths]
    if arabic_first():
        names = [NullIf(F(f"{path}__name_ar"), Value("")) for path in paths] + names
    return Coalesce(*names) if len(names) > 1 else names[0]


def stable_order(queryset):
    """The chosen order, then the primary key, so pages and exports never repeat or skip a row."""
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering)
    return queryset.order_by(*ordering, "pk")


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    filterset: type
    columns: list[Column]
    rows: callable  # (queryset, *, in_bulk) -> queryset of dicts with every column's key
    link: str  # the column whose cell links to the row's detail page

    @property
    def model(self):
        """The model whose rows the table shows (its filter set's)."""
        return self.filterset._meta.model

    def exported(self, queryset):
        """The rows of an export: every row `queryset` holds, in its order then the primary key's,
        figures read in bulk (a whole table's progress is summed once, not looked up row by row)."""
        return self.rows(stable_order(queryset), in_bulk=True)

    def total_figures(self, queryset) -> dict[str, object]:
        return TOTALS[self.name](queryset)

    def cached_totals(self, queryset, query=None) -> dict[str, object]:
        """`total_figures` of `queryset`, which the parameters in `query` (a QueryDict; none for the
        whole table) chose: built once per data version and filters, shared by every page and order
        of them, and built ahead for the whole table by the worker after a write (`warm_totals`)."""
        filters = [(k, v) for k, values in (query.lists() if query else ()) if k not in NOT_FILTERS for v in values]
        return cached(f"totals-{self.name}", parameters_key(self.name, filters), lambda: self.total_figures(queryset))

    @staticmethod
    def labelled(figures: dict[str, object]) -> list[tuple[str, object]]:
        return [(TOTAL_LABELS[key], value) for key, value in figures.items()]


def settlement_rows(queryset, *, in_bulk: bool = False):
    return queryset.select_related(None).values(
        "pk",
        "pcode",
        "name_en",
        "name_ar",
        "population",
        "returnees",
        "houses_destroyed",
        "on_latest_list",
        "last_listed",
        "last_confirmed",
        governorate_name=area_name("governorate"),
        governorate_pcode=F("governorate__pcode"),
        district_name=area_name("district"),
        need=selectors.need_priority("settlement"),
        lat=Y("location"),
        lon=X("location"),
    )


def camp_rows(queryset, *, in_bulk: bool = False):
    return queryset.values(
        "pk",
        "name_en",
        "name_ar",
        "population",
        "capacity",
        "status",
        "last_assessed",
        governorate_name=area_name("governorate"),
        governorate_pcode=F("governorate__pcode"),
        near_pcode=F("near_settlement__pcode"),
        organization=F("managing_organization__name"),
        need=selectors.need_priority("camp"),
        lat=Y("location"),
        lon=X("location"),
    )


def request_rows(queryset, *, in_bulk: bool = False):
    target_name = Case(
        When(settlement__isnull=False, then=F("settlement__name_en")),
        default=F("camp__name_en"),
        output_field=CharField(),
    )
    point = Coalesce("location", "settlement__location", "camp__location")
    return queryset.with_progress(in_bulk=in_bulk).values(
        "pk",
        "category",
        "quantity",
        "unit",
        "delivered",
        "gap",
        "pledged",
        "uncovered",
        "priority",
        "status",
        "needed_by",
        "source",
        "settlement_id",
        "camp_id",
        target=target_name,
        target_pcode=F("settlement__pcode"),
        governorate_name=area_name("settlement__governorate", "camp__governorate"),
        governorate_pcode=Coalesce("settlement__governorate__pcode", "camp__governorate__pcode"),
        organization=F("requesting_organization__name"),
        lat=Y(point),
        lon=X(point),
    )


SETTLEMENTS = Table(
    name="settlements",
    title=_("Settlements"),
    filterset=SettlementFilterSet,
    rows=settlement_rows,
    link="name_en",
    columns=[
        Column("pcode", _("P-code"), "#loc+code", sort="pcode"),
        Column("name_en", _("Name"), "#loc+name", sort="name"),
        Column("name_ar", _("Name (Arabic)"), "#loc+name+i_ar"),
        Column("governorate_name", _("Governorate"), "#adm1+name", sort="governorate"),
        Column("governorate_pcode", _("Governorate P-code"), "#adm1+code"),
        Column("district_name", _("District"), "#adm2+name"),
        Column("population", _("Population"), "#population", sort="population", numeric=True),
        Column("returnees", _("Returnees"), "#population+returnees", numeric=True),
        Column("houses_destroyed", _("Houses destroyed"), "#impact+houses+destroyed", numeric=True),
        Column("need", _("Most urgent need"), "#severity", choices=PRIORITY_LABELS),
        Column("on_latest_list", _("On latest list"), "#status+listed"),
        Column("last_listed", _("Last listed"), "#date+listed", sort="last_listed"),
        Column("last_confirmed", _("Last confirmed"), "#date+confirmed", sort="last_confirmed"),
        *LOCATION,
    ],
)

CAMPS = Table(
    name="camps",
    title=_("Camps"),
    filterset=CampFilterSet,
    rows=camp_rows,
    link="name_en",
    columns=[
        Column("name_en", _("Name"), "#loc+name", sort="name"),
        Column("name_ar", _("Name (Arabic)"), "#loc+name+i_ar"),
        Column("governorate_name", _("Governorate"), "#adm1+name", sort="governorate"),
        Column("governorate_pcode", _("Governorate P-code"), "#adm1+code"),
        Column("near_pcode", _("Near settlement"), "#loc+code+near"),
        Column("population", _("Population"), "#population+idps", sort="population", numeric=True),
        Column("capacity", _("Capacity"), "#capacity", sort="capacity", numeric=True),
        Column("status", _("Status"), "#status", choices=dict(Camp.Status.choices)),
        Column("organization", _("Managed by"), "#org+name"),
        Column("need", _("Most urgent need"), "#severity", choices=PRIORITY_LABELS),
        Column("last_assessed", _("Last assessed"), "#date+assessed", sort="last_assessed"),
        *LOCATION,
    ],
)

REQUESTS = Table(
    name="requests",
    title=_("Aid requests"),
    filterset=AidRequestFilterSet,
    rows=request_rows,
    link="target",
    columns=[
        Column("pk", _("ID"), "#activity+id", sort="id", numeric=True),
        Column("target", _("For"), "#loc+name"),
        Column("target_pcode", _("P-code"), "#loc+code"),
        Column("governorate_name", _("Governorate"), "#adm1+name"),
        Column("governorate_pcode", _("Governorate P-code"), "#adm1+code"),
        Column("category", _("Category"), "#sector", sort="category", choices=dict(AidRequest.Category.choices)),
        Column("quantity", _("Requested"), "#targeted+quantity", sort="quantity", numeric=True),
        Column("delivered", _("Delivered"), "#reached+quantity", numeric=True),
        Column("gap", _("Gap"), "#inneed+quantity", numeric=True),
        Column("pledged", _("Pledged"), "#capacity+pledged+quantity", numeric=True),
        Column("uncovered", _("Uncovered"), "#inneed+uncovered+quantity", numeric=True),
        Column("unit", _("Unit"), "#indicator+unit", choices=dict(AidRequest.Unit.choices)),
        Column("priority", _("Priority"), "#severity", sort="priority", choices=PRIORITY_LABELS),
        Column("status", _("Status"), "#status", sort="status", choices=dict(AidRequest.Status.choices)),
        Column("needed_by", _("Needed by"), "#date+deadline", sort="needed_by"),
        Column("organization", _("Requested by"), "#org+name"),
        Column("source", _("Source"), "#meta+source", choices=dict(AidRequest.Source.choices)),
        *LOCATION,
    ],
)

TABLES = {table.name: table for table in (SETTLEMENTS, CAMPS, REQUESTS)}


# The figures above a table, by key: what is computed (and cached) is the figures alone, so a
# cached entry serves every language and holds no lazy label to rebuild.
TOTAL_LABELS = {
    "people": _("People"),
    "requested": _("Tonnes requested"),
    "delivered": _("Tonnes delivered"),
    "gap": _("Tonnes still needed"),
    "pledged": _("Tonnes pledged"),
    "uncovered": _("Tonnes nobody covers"),
    "open": _("Open requests"),
}


def _people(queryset) -> dict[str, object]:
    totals = queryset.order_by().aggregate(people=Sum("population"))
    return {"people": totals["people"] or 0}


def _tonnes(queryset) -> dict[str, object]:
    totals = queryset.filter(unit=AidRequest.Unit.TONNES).progress_totals()
    return {
        **{key: totals[key] for key in ("requested", "delivered", "gap", "pledged", "uncovered")},
        "open": queryset.filter(status__in=AidRequest.OPEN_STATUSES).order_by().count(),
    }


TOTALS = {"settlements": _people, "camps": _people, "requests": _tonnes}
NOT_FILTERS = ("page", "sort", "export", "bom")  # parameters that do not change which rows are totalled


def warm_totals() -> None:
    """Each table's totals with no filter (seconds over a million requests), built for the data as it
    now is, so the first coordinator to open a table after a write does not wait for them (the worker's
    settlements.warm_dashboard runs this)."""
    for table in TABLES.values():
        table.cached_totals(table.model.objects.all())
