import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import F

from settlements import gazetteer
from settlements.models import AdminArea, Settlement, SettlementAlias

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_it_loads_every_admin_area_and_community():
    assert AdminArea.objects.filter(level=1).count() == 14
    assert AdminArea.objects.filter(level=2).count() == 62
    assert AdminArea.objects.filter(level=3).count() == 272
    assert Settlement.objects.count() == 5251


def test_it_links_each_community_to_its_sub_district_district_and_governorate():
    oqeirbat = Settlement.objects.select_related("governorate", "district", "sub_district").get(pcode="C3315")

    assert (oqeirbat.name_en, oqeirbat.name_ar) == ("Oqeirbat", "عقيربات")
    assert oqeirbat.governorate.pcode == "SY05"
    assert oqeirbat.district.pcode == "SY0503"
    assert oqeirbat.sub_district.pcode == "SY050304"
    assert oqeirbat.location.y == pytest.approx(35.0426843)
    assert oqeirbat.location.x == pytest.approx(37.4633616)
    assert oqeirbat.capital_level == 3
    assert Settlement.objects.exclude(sub_district__parent=F("district")).count() == 0


def test_every_district_and_sub_district_hangs_under_the_right_parent():
    for area in AdminArea.objects.filter(level__gt=1).select_related("parent"):
        assert area.pcode.startswith(area.parent.pcode), area.pcode


def test_it_repairs_the_arabic_names_the_2015_file_cut_off():
    assert Settlement.objects.get(pcode="C2327").name_ar == "ضاحية قدسيا السكنية الجديدة"
    assert Settlement.objects.get(pcode="C5770").name_ar == "الاسماعيلية_فاطسة عبد الاسماعيل"
    assert not Settlement.objects.filter(name_ar__in=["ضاحية قدسيا السكنية الجديد", "الاشرفية الشرقية-دويعر الش"])


def test_it_files_the_qadmous_communities_under_the_district_created_since_2015():
    qadmous = Settlement.objects.filter(district__pcode="SY1006")

    assert qadmous.count() == 65
    assert set(qadmous.values_list("sub_district__pcode", flat=True)) == {
        "SY100601",
        "SY100602",
        "SY100603",
        "SY100604",
    }
    assert not AdminArea.objects.filter(pcode__in=["SY100202", "SY100203", "SY100204", "SY100205"]).exists()


def test_it_keeps_other_spellings_as_aliases():
    akerbat = SettlementAlias.objects.filter(settlement__pcode="C3315").values_list("name", flat=True)
    assert {"Akerbat", "Uqayribat", "Ouqayrabat"} <= set(akerbat)

    aleppo = AdminArea.objects.get(pcode="SY02")
    assert "Алеппо" in aleppo.aliases
    assert "Aleppo Governorate" in aleppo.aliases


def test_governorates_carry_their_outline_for_the_map():
    governorates = AdminArea.objects.filter(level=1)

    assert governorates.filter(boundary__isnull=True).count() == 0
    homs = governorates.get(pcode="SY04")
    assert homs.boundary.contains(Settlement.objects.get(pcode="C2663").location)


def test_a_second_run_changes_nothing_and_says_so(capsys):
    call_command("load_gazetteer")

    assert "nothing changed" in capsys.readouterr().out


def test_it_puts_back_what_differs_from_the_gazetteer(capsys):
    Settlement.objects.filter(pcode="C3315").update(name_en="Wrong")
    AdminArea.objects.filter(pcode="SY05").update(name_ar="")

    result = gazetteer.load_gazetteer()

    assert result.updated["settlements"] == 1
    assert result.updated["admin areas"] == 1
    assert result.created["settlements"] == 0
    assert Settlement.objects.get(pcode="C3315").name_en == "Oqeirbat"
    assert AdminArea.objects.get(pcode="SY05").name_ar == "حماة"


def test_it_leaves_what_lists_and_staff_added_alone():
    Settlement.objects.filter(pcode="C3315").update(population=1234, notes="checked by phone", on_latest_list=True)

    gazetteer.load_gazetteer()

    oqeirbat = Settlement.objects.get(pcode="C3315")
    assert (oqeirbat.population, oqeirbat.notes, oqeirbat.on_latest_list) == (1234, "checked by phone", True)


def test_it_ships_its_data_inside_the_project_with_attribution():
    assert gazetteer.DATA_DIR.is_relative_to(ROOT)
    attribution = (gazetteer.DATA_DIR / "ATTRIBUTION.md").read_text()
    assert "CC BY 3.0 IGO" in attribution
    assert "CC BY 4.0" in attribution
    shipped = [gazetteer.COMMUNITIES_CSV, gazetteer.ADMIN_AREAS_CSV, *gazetteer.BOUNDARY_FILES, gazetteer.DRAWN_GEOJSON]
    for name in shipped:
        assert name in attribution


def test_an_unknown_repair_kind_fails_before_anything_is_written(tmp_path):
    data_dir = tmp_path / "gazetteer"
    shutil.copytree(gazetteer.DATA_DIR, data_dir)
    with open(data_dir / gazetteer.REPAIRS_CSV, "a", encoding="utf-8") as f:
        f.write("spelling,C3315,name_en,Oqeirbat,Okeirbat,typo\n")
    Settlement.objects.filter(pcode="C3315").update(name_en="Wrong")

    with pytest.raises(ValueError, match="unknown repair kind 'spelling'"):
        gazetteer.load_gazetteer(data_dir=data_dir)

    assert Settlement.objects.get(pcode="C3315").name_en == "Wrong"
