"""Water, electricity and demining: read from the lists, held when staff correct them, filtered,
mapped and followed over time."""

import csv
import io

import pytest
from django.urls import reverse

from settlements import services
from settlements.importing.service import import_list
from settlements.insights.trends import settlement_trends
from settlements.models import FigureConflict, Settlement
from settlements.roles import STAFF
from tests import factories
from tests.test_map import features

pytestmark = pytest.mark.django_db

HEADER = "Governorate,Settlement,P-code,Water supply,Electricity,Demining"


def a_list(day: str, *rows: str, header: str = HEADER):
    run = import_list("\n".join([header, *rows]).encode(), source=f"list-{day}.csv").run
    assert run.status == "succeeded"
    return run


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        (HEADER, "Hama,Oqeirbat,C3315,partial,none,partly cleared", ("partial", "none", "partly_cleared")),
        (HEADER, "Hama,Oqeirbat,C3315,restored,yes,Demined", ("restored", "restored", "cleared")),
        (HEADER, "Hama,Oqeirbat,C3315,,,unknown", ("", "", "unknown")),
        (
            "Провинция,Населённый пункт,Водоснабжение,Электроснабжение,Разминирование",
            "Хама,Окейрбат,частично,нет,разминировано",
            ("partial", "none", "cleared"),
        ),
        (
            "المحافظة,التجمع,المياه,الكهرباء,إزالة الألغام",
            "حماة,عقيربات,مقطوعة,جزئياً,غير مطهرة",
            ("none", "partial", "not_cleared"),
        ),
        (
            "#adm1+name,#loc+name,#loc+code,#status+water,#status+electricity,#status+demining",
            "Hama,Oqeirbat,C3315,restored,partial,cleared",
            ("restored", "partial", "cleared"),
        ),
    ],
)
def test_a_list_in_any_language_sets_water_electricity_and_demining(header, row, expected):
    run = a_list("2017-09-14", row, header=header)

    oqeirbat = Settlement.objects.get(pcode="C3315")
    assert (run.errors, run.warnings) == (0, 0)
    assert (oqeirbat.water_supply, oqeirbat.electricity_supply, oqeirbat.demining) == expected


def test_a_status_the_vocabulary_does_not_know_is_a_warning_and_the_row_imports():
    run = a_list("2017-09-14", "Hama,Oqeirbat,C3315,restored,restored,maybe soon")

    oqeirbat = Settlement.objects.get(pcode="C3315")
    assert (run.errors, run.warnings, run.matched) == (0, 1, 1)
    assert (oqeirbat.water_supply, oqeirbat.demining) == ("restored", "")


def test_demining_staff_corrected_is_held_against_the_next_list_as_a_conflict():
    a_list("2017-09-13", "Hama,Oqeirbat,C3315,partial,none,not cleared")
    oqeirbat = Settlement.objects.get(pcode="C3315")
    oqeirbat.demining = Settlement.Demining.CLEARED
    amal = factories.user(role=STAFF, username="amal")
    services.save_record(obj=oqeirbat, user=amal)

    a_list("2017-09-14", "Hama,Oqeirbat,C3315,restored,none,not cleared")

    oqeirbat.refresh_from_db()
    assert (oqeirbat.demining, oqeirbat.water_supply) == ("cleared", "restored")
    conflict = FigureConflict.objects.get()
    assert (conflict.field, conflict.list_value, conflict.corrected_value) == ("demining", "not_cleared", "cleared")
    assert conflict.corrected_by == amal
    assert oqeirbat.history.first().history_user == amal


def test_the_tables_map_and_api_filter_by_restoration(coordinator_client):
    a_list(
        "2017-09-14",
        "Hama,Oqeirbat,C3315,restored,partial,cleared",
        "Homs,Qaryatein,C2663,none,none,not cleared",
        "Homs,Mahin,C2664,partial,,",
    )

    page = coordinator_client.get(reverse("tables:settlements"), {"demining": "cleared"}).content.decode()
    api = coordinator_client.get("/api/settlements/", {"water": "none"}).json()
    points = features(coordinator_client.get(reverse("map:settlements"), {"electricity": "partial"}))

    assert "/settlements/C3315/" in page and "/settlements/C2663/" not in page
    assert [f["properties"]["pcode"] for f in api["features"]] == ["C2663"]
    assert [f["id"] for f in points] == [Settlement.objects.get(pcode="C3315").pk]
    assert coordinator_client.get(reverse("tables:settlements"), {"demining": "maybe"}).status_code == 400


def test_the_restoration_layer_sends_the_settlements_with_a_reported_status(coordinator_client):
    a_list("2017-09-14", "Hama,Oqeirbat,C3315,restored,partial,cleared", "Homs,Mahin,C2664,partial,,")
    oqeirbat, mahin = Settlement.objects.get(pcode="C3315"), Settlement.objects.get(pcode="C2664")

    demining = features(coordinator_client.get(reverse("map:restoration"), {"of": "demining"}))
    water = features(coordinator_client.get(reverse("map:restoration"), {"of": "water_supply", "governorate": "SY04"}))

    assert [(f["id"], f["properties"]) for f in demining] == [(oqeirbat.pk, {"v": "cleared"})]
    assert [(f["id"], f["properties"]) for f in water] == [(mahin.pk, {"v": "partial"})]
    assert coordinator_client.get(reverse("map:restoration"), {"of": "population"}).status_code == 400
    popup = coordinator_client.get(reverse("map:settlement-popup", args=[oqeirbat.pk])).json()
    assert popup["restoration"] == [["Water supply", "restored"], ["Electricity", "partial"], ["Demining", "cleared"]]
    page = coordinator_client.get(reverse("map:page")).content.decode()
    assert 'id="restoration-field"' in page and "partly cleared" in page


def test_the_settlement_page_follows_restoration_over_the_lists(coordinator_client):
    a_list("2017-09-12", "Hama,Oqeirbat,C3315,none,none,not cleared")
    a_list("2017-09-13", "Hama,Oqeirbat,C3315,,,")
    a_list("2017-09-14", "Hama,Oqeirbat,C3315,restored,partial,cleared")
    oqeirbat = Settlement.objects.get(pcode="C3315")

    found = settlement_trends(oqeirbat)
    page = coordinator_client.get(reverse("tables:settlement", args=["C3315"])).content.decode()
    download = coordinator_client.get(reverse("tables:settlement-trends", args=["C3315"]), {"chart": "restoration"})
    api = coordinator_client.get(f"/api/settlements/{oqeirbat.pk}/trends/").json()

    assert found["statuses"] == {
        "water_supply": ["none", None, "restored"],
        "electricity_supply": ["none", None, "partial"],
        "demining": ["not_cleared", None, "cleared"],
    }
    assert api["statuses"] == found["statuses"]
    assert 'data-chart="restoration"' in page and "not cleared" in page and "partly cleared" not in page
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows == [
        ["list_date", "water_supply", "electricity_supply", "demining"],
        ["2017-09-12", "none", "none", "not_cleared"],
        ["2017-09-13", "", "", ""],
        ["2017-09-14", "restored", "partial", "cleared"],
    ]


def test_staff_edit_restoration_in_the_admin(staff_client):
    oqeirbat = Settlement.objects.get(pcode="C3315")
    form = staff_client.get(reverse("admin:settlements_settlement_change", args=[oqeirbat.pk])).content.decode()
    listing = staff_client.get(reverse("admin:settlements_settlement_changelist"), {"demining": "cleared"})

    assert 'name="electricity_supply"' in form and 'name="demining"' in form
    assert listing.status_code == 200
