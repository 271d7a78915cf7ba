from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from settlements.demo import DEMO_NOTE
from settlements.models import AidRequest, Camp, Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(capsys):
    call_command("load_demo_data")
    return capsys.readouterr().out


def test_it_adds_rukban_and_akerbat_with_about_60000_people_as_estimates(demo):
    camps = {c.name_en: c for c in Camp.objects.select_related("governorate", "near_settlement")}

    assert set(camps) == {"Rukban", "Akerbat"}
    assert camps["Rukban"].governorate.pcode == "SY04"
    assert camps["Akerbat"].governorate.pcode == "SY05"
    assert camps["Akerbat"].near_settlement.pcode == "C3315"
    assert sum(c.population for c in camps.values()) == 60_000
    assert all(c.population_is_estimate for c in camps.values())


def test_it_asks_for_over_1000_tonnes_of_food_and_80_of_medicines_partly_delivered(demo):
    tonnes = dict(
        AidRequest.objects.filter(unit="t").values_list("category").annotate(total=Sum("quantity")).order_by()
    )

    assert tonnes["food"] > 1000
    assert tonnes["medicine"] == Decimal("80")
    statuses = set(AidRequest.objects.values_list("status", flat=True))
    assert AidRequest.Status.PARTIALLY_MET in statuses
    assert AidRequest.Status.MET not in statuses
    assert Delivery.objects.exists()


def test_everything_it_adds_is_labelled_as_demo(demo):
    assert set(Camp.objects.values_list("notes", flat=True)) == {DEMO_NOTE}
    assert set(AidRequest.objects.values_list("description", flat=True)) == {DEMO_NOTE}
    assert "demo" in DEMO_NOTE.lower()


def test_a_second_run_adds_nothing(demo, capsys):
    counts = (Camp.objects.count(), AidRequest.objects.count(), Delivery.objects.count())

    call_command("load_demo_data")

    assert "nothing changed" in capsys.readouterr().out
    assert (Camp.objects.count(), AidRequest.objects.count(), Delivery.objects.count()) == counts


def test_migrations_do_not_load_it():
    assert not Camp.objects.exists()
