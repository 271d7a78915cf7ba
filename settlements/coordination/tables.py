"""The presence (3W) table's columns, with their HXL hashtags, for the page and its exports."""

from django.utils.translation import gettext_lazy as _

from settlements.coordination.filters import PresenceFilterSet
from settlements.models import AidRequest
from settlements.tables import Column, Table

LEVEL_COLUMNS = {
    1: [
        Column("adm1_name", _("Governorate"), "#adm1+name"),
        Column("adm1_pcode", _("Governorate P-code"), "#adm1+code"),
    ],
    2: [Column("adm2_name", _("District"), "#adm2+name"), Column("adm2_pcode", _("District P-code"), "#adm2+code")],
    3: [
        Column("adm3_name", _("Sub-district"), "#adm3+name"),
        Column("adm3_pcode", _("Sub-district P-code"), "#adm3+code"),
    ],
}
FIGURES = [
    Column("category", _("Category"), "#sector", choices=dict(AidRequest.Category.choices)),
    Column("requests_answered", _("Requests answered"), "#activity+requests+num", numeric=True),
    Column("pledges_open", _("Pledges open"), "#activity+pledges+open+num", numeric=True),
    Column("pledged", _("Pledged, not yet delivered"), "#capacity+pledged+quantity", numeric=True),
    Column("deliveries", _("Deliveries made"), "#activity+deliveries+num", numeric=True),
    Column("delivered", _("Delivered"), "#reached+quantity", numeric=True),
    Column("unit", _("Unit"), "#indicator+unit", choices=dict(AidRequest.Unit.choices)),
    Column("last_delivered", _("Last delivery"), "#date+reached"),
]


def presence_table(level: int) -> Table:
    """Organisation, the admin areas down to `level`, category and figures."""
    return Table(
        name="presence",
        title=_("Who does what where"),
        filterset=PresenceFilterSet,
        rows=None,  # built by coordination.selectors.presence, not from a queryset
        link="organization",
        columns=[
            Column("organization", _("Organisation"), "#org+name"),
            Column("organization_acronym", _("Acronym"), "#org+acronym"),
            *[column for n in range(1, level + 1) for column in LEVEL_COLUMNS[n]],
            *FIGURES,
        ],
    )
