"""A small, clearly labelled demonstration set: the Rukban and Akerbat camps and their needs.

The camps are real places; every figure here is illustrative. `make run` loads it so a new
user sees a working picture; migrations and production never load it unless asked.
"""

import datetime
from decimal import Decimal

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db import transaction

from settlements import services
from settlements.models import AdminArea, AidRequest, Camp, Organization, Pledge, Settlement

DEMO_NOTE = "Demo data loaded by `make run`: illustrative figures, not a real assessment."

ORGANIZATIONS = [
    ("World Food Programme", "WFP", Organization.Kind.UN_AGENCY),
    ("World Health Organization", "WHO", Organization.Kind.UN_AGENCY),
    ("United Nations Children's Fund", "UNICEF", Organization.Kind.UN_AGENCY),
    ("Syrian Arab Red Crescent", "SARC", Organization.Kind.RED_CROSS),
]

# (camp, category, tonnes requested, priority, requesting organisation, [(tonnes delivered, days ago, by)])
# A delivery by an organisation that pledged to the same request is recorded against its pledge.
NEEDS = [
    (
        "Rukban",
        AidRequest.Category.FOOD,
        "700",
        AidRequest.Priority.CRITICAL,
        "WFP",
        [("180", 12, "WFP"), ("70", 6, "SARC")],  # two organisations within a fortnight: an overlap
    ),
    ("Rukban", AidRequest.Category.MEDICINE, "50", AidRequest.Priority.CRITICAL, "WHO", [("15", 12, "SARC")]),
    ("Akerbat", AidRequest.Category.FOOD, "350", AidRequest.Priority.HIGH, "WFP", [("100", 9, "WFP")]),
    ("Akerbat", AidRequest.Category.MEDICINE, "30", AidRequest.Priority.HIGH, "WHO", []),
]
# (settlement P-code, category, quantity, unit, priority, requesting organisation): needs nobody has
# answered yet, so the presence page shows an area nobody covers.
SETTLEMENT_NEEDS = [
    (
        "C2663",
        AidRequest.Category.HOUSING_RESTORATION,
        "40",
        AidRequest.Unit.BUILDINGS,
        AidRequest.Priority.HIGH,
        "UNICEF",
    ),
]
# (camp, category, tonnes pledged, expected in days, pledging organisation, status)
PLEDGES = [
    ("Rukban", AidRequest.Category.FOOD, "200", 10, "WFP", Pledge.Status.PLEDGED),
    ("Rukban", AidRequest.Category.MEDICINE, "20", 3, "WHO", Pledge.Status.IN_TRANSIT),
    ("Akerbat", AidRequest.Category.FOOD, "150", 5, "WFP", Pledge.Status.PLEDGED),
]


def _camps(orgs: dict[str, Organization]) -> dict[str, Camp]:
    homs = AdminArea.objects.get(pcode="SY04")
    tanf = Point(38.68, 33.30, srid=4326)
    # The berm has no community of its own: the nearest one places it in a district and sub-district.
    nearest = Settlement.objects.filter(governorate=homs).annotate(away=Distance("location", tanf)).order_by("away")
    oqeirbat = Settlement.objects.select_related("governorate").get(pcode="C3315")
    specs = {
        "Rukban": {
            "name_ar": "مخيم الركبان",
            # The berm on the Jordanian border, south-east of the Al Tanf crossing.
            "location": tanf,
            "governorate": homs,
            "near_settlement": nearest.first(),
            "population": 50_000,
            "capacity": 40_000,
            "managing_organization": orgs["SARC"],
            "access_constraints": "Inside the 55 km deconfliction zone around Al Tanf; convoys need clearance.",
        },
        "Akerbat": {
            "name_ar": "عقيربات",
            "location": oqeirbat.location,
            "governorate": oqeirbat.governorate,
            "near_settlement": oqeirbat,
            "population": 10_000,
            "capacity": 12_000,
            "managing_organization": orgs["SARC"],
            "access_constraints": "Road access from As-Salamiyeh only.",
        },
    }
    camps = {}
    for name, values in specs.items():
        camps[name], _ = Camp.objects.get_or_create(
            name_en=name,
            defaults={
                **values,
                "population_is_estimate": True,
                "last_assessed": datetime.date.today(),
                "notes": DEMO_NOTE,
            },
        )
    return camps


@transaction.atomic
def load_demo_data() -> bool:
    """Add the demo camps, organisations, requests, pledges and deliveries; False when they were already there."""
    if Camp.objects.filter(notes=DEMO_NOTE).exists():
        return False
    orgs = {}
    for name, acronym, kind in ORGANIZATIONS:
        orgs[acronym], _ = Organization.objects.get_or_create(name=name, defaults={"acronym": acronym, "kind": kind})
    camps = _camps(orgs)
    today = datetime.date.today()
    for camp, category, tonnes, priority, requester, deliveries in NEEDS:
        aid_request = _need(
            camp=camps[camp],
            category=category,
            quantity=Decimal(tonnes),
            unit=AidRequest.Unit.TONNES,
            priority=priority,
            needed_by=today + datetime.timedelta(days=30),
            requesting_organization=orgs[requester],
        )
        pledges = {}
        for pledged_camp, pledged_category, pledged, days_ahead, by, status in PLEDGES:
            if (pledged_camp, pledged_category) == (camp, category):
                pledges[by] = Pledge.objects.create(
                    organization=orgs[by],
                    request=aid_request,
                    quantity=Decimal(pledged),
                    unit=aid_request.unit,
                    expected_on=today + datetime.timedelta(days=days_ahead),
                    status=status,
                    notes=DEMO_NOTE,
                )
        for delivered, days_ago, by in deliveries:
            services.record_delivery(
                request=aid_request,
                quantity=Decimal(delivered),
                delivered_on=today - datetime.timedelta(days=days_ago),
                delivering_organization=orgs[by],
                pledge=pledges.get(by),
                notes=DEMO_NOTE,
            )
    for pcode, category, quantity, unit, priority, requester in SETTLEMENT_NEEDS:
        _need(
            settlement=Settlement.objects.get(pcode=pcode),
            category=category,
            quantity=Decimal(quantity),
            unit=unit,
            priority=priority,
            needed_by=today + datetime.timedelta(days=60),
            requesting_organization=orgs[requester],
        )
    return True


def _need(**fields) -> AidRequest:
    need = AidRequest(**fields, description=DEMO_NOTE)
    need.full_clean()
    need.save()
    return need
