"""Small builders for the objects tests need, with sensible defaults and explicit overrides."""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import Point

from settlements.models import AdminArea, AidRequest, Camp, Delivery, Organization, Settlement

_seq = itertools.count(1)


def user(*, role: str | None = None, superuser: bool = False, member_of=(), **fields) -> User:
    username = fields.pop("username", f"user{next(_seq)}")
    account = User.objects.create_user(
        username, password="correct horse battery staple", is_staff=True, is_superuser=superuser, **fields
    )
    if role:
        account.groups.add(Group.objects.get(name=role))
    account.organizations.add(*member_of)
    return account


def staff_organization() -> Organization:
    """The organisation the `staff_client` fixture's user works for."""
    return Organization.objects.get_or_create(name="Staff's organisation", defaults={"acronym": "SO"})[0]


def governorate(pcode: str = "SY04") -> AdminArea:
    return AdminArea.objects.get(pcode=pcode)


def settlement(pcode: str = "C2663") -> Settlement:
    """A gazetteer settlement (default: Qaryatein, Homs)."""
    return Settlement.objects.get(pcode=pcode)


def organization(**fields) -> Organization:
    n = next(_seq)
    return Organization.objects.create(**{"name": f"Organisation {n}", "acronym": f"O{n}", **fields})


def camp(**fields) -> Camp:
    values = {
        "name_en": f"Camp {next(_seq)}",
        "location": Point(38.68, 33.30, srid=4326),
        "governorate": fields.pop("governorate", None) or governorate("SY04"),
        "population": 1000,
        **fields,
    }
    return Camp.objects.create(**values)


def aid_request(**fields) -> AidRequest:
    if "settlement" not in fields and "camp" not in fields:
        fields["settlement"] = settlement()
    values = {
        "category": AidRequest.Category.FOOD,
        "quantity": Decimal("100"),
        "unit": AidRequest.Unit.TONNES,
        "priority": AidRequest.Priority.HIGH,
        **fields,
    }
    return AidRequest.objects.create(**values)


def delivery(request: AidRequest, quantity: str = "10", **fields) -> Delivery:
    values = {"unit": request.unit, "delivered_on": datetime.date(2017, 9, 12), **fields}
    return Delivery.objects.create(request=request, quantity=Decimal(quantity), **values)
