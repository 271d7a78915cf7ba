"""Place-name matching, without a database."""

import pytest

from settlements.matching import Gazetteer, Governorates, Place, name_key

QARYATEIN = Place(1, "C2663", "SY04", "SY0406", ("Qaryatein", "القريتين"))
OQEIRBAT = Place(2, "C3315", "SY05", "SY0503", ("Oqeirbat", "عقيربات"), ("Akerbat",))
AZIZIYEH_HAMA = Place(3, "C3085", "SY05", "SY0500", ("Aziziyeh", "عزيزية"))
AZIZIYEH_SUQAYLABIYAH = Place(4, "C3189", "SY05", "SY0504", ("Aziziyeh", "العزيزية"))
BABELLA = Place(5, "C2300", "SY03", "SY0300", ("Babella", "ببيلا"))
KAFR_ELTOON = Place(6, "C3012", "SY05", "SY0502", ("Kafr Eltoon", "كفر الطون"))
KHIRBET_GHAZALEH = Place(7, "C6051", "SY12", "SY1200", ("Khirbet Ghazaleh", "خربة غزالة"))


@pytest.fixture
def gazetteer():
    return Gazetteer(
        [QARYATEIN, OQEIRBAT, AZIZIYEH_HAMA, AZIZIYEH_SUQAYLABIYAH, BABELLA, KAFR_ELTOON, KHIRBET_GHAZALEH]
    )


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Al-Qaryatain", "Qaryatein"),  # article, ai/ei
        ("AL QARYATEIN", "qaryatein"),  # case
        ("القريتين", "قريتين"),  # Arabic article
        ("القريتيـــن", "القريتين"),  # tatweel
        ("القُرَيْتَين", "القريتين"),  # diacritics
        ("عقيربة", "عقيربه"),  # taa marbuta
        ("أبو الظهور", "ابو الظهور"),  # hamza on alef
        ("Кешбе", "Qeshbeh"),  # Russian transliteration, q/k, final -eh
        ("Кафр-эль-Тун", "Kafr Eltoon"),  # hyphenated article, glued article, oo/u
        ("Соккария", "Sokkariyeh"),  # -ия / -iyeh, double letters
        ("Хобуб-аль-Рих", "Hobub Elrih"),  # kh/h
        ("Deir-ez-Zor", "Deir ez Zor"),  # hyphens
    ],
)
def test_spellings_of_one_place_share_a_key(one, other):
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(("one", "other"), [("Tiha", "Tima"), ("Kafr Nabl", "Kafr Nbouda"), ("حلب", "حماة")])
def test_different_places_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


def test_a_pcode_wins_over_a_name(gazetteer):
    match = gazetteer.match(pcode="c3315", name="Qaryatein", governorate="SY04")

    assert (match.place, match.method) == (OQEIRBAT, "pcode")


def test_an_official_name_matches_within_the_governorate(gazetteer):
    assert gazetteer.match(name="Al-Qaryatain", governorate="SY04").place == QARYATEIN
    assert gazetteer.match(name="القريتين", governorate="SY04").method == "name"


def test_a_name_from_another_governorate_does_not_match_exactly(gazetteer):
    match = gazetteer.match(name="Qaryatein", governorate="SY05")

    assert not match.matched
    assert match.method == "review"


def test_a_known_alias_matches_after_the_official_names(gazetteer):
    match = gazetteer.match(name="Akerbat", governorate="SY05")

    assert (match.place, match.method) == (OQEIRBAT, "alias")


def test_a_name_shared_by_two_places_goes_to_review_with_both_candidates(gazetteer):
    match = gazetteer.match(name="Азизия", governorate="SY05")

    assert not match.matched
    assert {p.pcode for p in match.candidates} == {"C3085", "C3189"}
    assert "2 places" in match.reason


def test_the_district_settles_a_shared_name(gazetteer):
    match = gazetteer.match(name="Aziziyeh", governorate="SY05", district="SY0504")

    assert match.place == AZIZIYEH_SUQAYLABIYAH


def test_a_close_spelling_matches_fuzzily_with_its_score(gazetteer):
    match = gazetteer.match(name="Kherbet Ghazala", governorate="SY12")

    assert (match.place, match.method) == (KHIRBET_GHAZALEH, "fuzzy")
    assert 88 <= match.score < 100


def test_a_weak_resemblance_goes_to_review(gazetteer):
    match = gazetteer.match(name="Vunireysein", governorate="SY05")

    assert not match.matched
    assert "no confident match" in match.reason


def test_fuzzy_matching_needs_a_governorate(gazetteer):
    assert not gazetteer.match(name="Kherbet Ghazala", governorate=None).matched


def test_a_damascus_row_also_searches_rural_damascus(gazetteer):
    assert gazetteer.match(name="Бабелла", governorate="SY01").place == BABELLA


def test_an_unknown_pcode_without_a_name_goes_to_review(gazetteer):
    match = gazetteer.match(pcode="C9999")

    assert "unknown P-code C9999" in match.reason


def test_governorates_resolve_in_any_spelling():
    governorates = Governorates.build({"SY07": ["Idleb", "إدلب", "Idlib"], "SY10": ["Tartous", "طرطوس"]})

    assert governorates.resolve("Идлиб") == "SY07"
    assert governorates.resolve("ادلب") == "SY07"
    assert governorates.resolve("Tartus") == "SY10"
    assert governorates.resolve("Gotham") is None
