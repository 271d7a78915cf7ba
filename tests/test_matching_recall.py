"""Recall and wrong matches of the matcher per language, on the variant sets built from the gazetteer
(settlements/importing/evaluation.py). docs/MATCHING.md states the figures; these are their floors."""

from settlements.importing.evaluation import build_cases, configured_gazetteer, evaluate
from settlements.matching import Gazetteer, Place

# Floors a little under today's figures (docs/MATCHING.md), so a change that loses recall or makes
# wrong matches fails here first.
RECALL_FLOOR = {"en": 0.94, "ru": 0.98, "ar": 0.99}
WRONG_CEILING = {"en": 0.003, "ru": 0.001, "ar": 0.001}


def test_each_language_keeps_its_recall_and_makes_almost_no_wrong_match():
    scores, _ = evaluate(build_cases())

    assert {lang: scores[lang].recall >= floor for lang, floor in RECALL_FLOOR.items()} == dict.fromkeys(
        RECALL_FLOOR, True
    )
    assert {lang: scores[lang].wrong_rate <= top for lang, top in WRONG_CEILING.items()} == dict.fromkeys(
        WRONG_CEILING, True
    )


def test_no_shared_or_invented_name_is_ever_matched():
    cases = build_cases()
    scores, wrong = evaluate(cases)

    review = scores["review"]
    assert review.cases >= 300
    assert (review.wrong, [w for w in wrong if w[0].language == "review"]) == (0, [])


def test_the_variant_sets_are_the_same_every_run():
    assert build_cases()[:50] == build_cases()[:50]


NEAR = [
    Place(1, "C1", "SY07", "SY0703", ("Tell Hamis",), sub_district="SY070300"),
    Place(2, "C2", "SY07", "SY0703", ("Ain Diwar",), sub_district="SY070300"),
    Place(3, "C3", "SY07", "SY0701", ("Tal Hamid",), sub_district="SY070100"),
    Place(4, "C4", "SY07", "SY0701", ("Kafr Nabudeh",), sub_district="SY070100"),
]


def test_a_near_miss_inside_the_row_s_own_district_is_matched():
    match = Gazetteer(NEAR).match(name="Tal-Hamsin", governorate="SY07", district="SY0701")  # 82 to Tal Hamid

    assert (match.method, match.place.pcode) == ("fuzzy", "C3")


def test_the_same_near_miss_without_a_district_goes_to_review():
    match = Gazetteer(NEAR).match(name="Tal-Hamsin", governorate="SY07")

    assert (match.matched, match.candidates[0].pcode) == (False, "C3")


def test_a_district_vetoes_a_confident_match_outside_it():
    gazetteer = Gazetteer(NEAR)

    inside = gazetteer.match(name="Kafr Nabutha", governorate="SY07", district="SY0701")
    outside = gazetteer.match(name="Kafr Nabutha", governorate="SY07", district="SY0703")

    assert (inside.method, inside.place.pcode) == ("fuzzy", "C4")
    assert (outside.matched, outside.method) == (False, "review")


def test_the_sub_district_scopes_too():
    match = Gazetteer(NEAR).match(name="Tal-Hamsin", governorate="SY07", sub_district="SY070100")

    assert match.place is not None and match.place.pcode == "C3"


def test_the_import_uses_the_configured_thresholds(settings):
    settings.IMPORT_FUZZY_NEAR = 101  # the near-miss step off
    gazetteer = configured_gazetteer()

    assert gazetteer.near_threshold == 101
