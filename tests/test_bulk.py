"""COPY and staged updates, the import's bulk writes: every value arrives as it was sent."""

import datetime

import pytest

from settlements.bulk import copy_rows, insert_new, point_ewkt, update_rows
from settlements.models import ImportRun, ListChange, ListEntry, ListSnapshot, Settlement
from settlements.sources.services import default_source

pytestmark = pytest.mark.django_db

AWKWARD = 'a "quoted", multi-line\nvalue, with \\ and ,commas'


@pytest.fixture
def snapshot():
    run = ImportRun.objects.create(source="test")
    return ListSnapshot.objects.create(
        list_source=default_source(), list_date=datetime.date(2017, 9, 11), import_run=run, source="test", sha256="x"
    )


def test_copy_keeps_empty_text_apart_from_null_and_text_and_json_intact(snapshot):
    settlement = Settlement.objects.get(pcode="C2663")
    raw = {"Name": AWKWARD, "Population": "", "نص": "عربي"}
    rows = [
        # snapshot, row, settlement, outcome, method, score, name, pcode, governorate, raw, values, message,
        # warnings, candidates
        (snapshot.pk, 1, settlement.pk, "matched", "pcode", None, AWKWARD, "", None, raw, {"n": 1.5}, "", [], []),
        (snapshot.pk, 2, None, "error", "", 71.5, "", "C1", None, {}, {}, "bad row", ["odd"], [1, 2]),
    ]
    fields = ["snapshot", "row", "settlement", "outcome", "method", "score", "name", "pcode", "governorate"]
    fields += ["raw", "values", "message", "warnings", "candidates"]

    assert copy_rows(ListEntry, fields, iter(rows)) == 2

    first, second = ListEntry.objects.order_by("row")
    assert (first.settlement_id, first.score, first.name, first.pcode, first.method) == (
        settlement.pk,
        None,
        AWKWARD,
        "",
        "pcode",
    )
    assert (first.raw, first.values, first.governorate_id) == (raw, {"n": 1.5}, None)
    assert (second.settlement_id, second.score, second.method, second.candidates) == (None, 71.5, "", [1, 2])
    assert (first.warnings, second.warnings) == ([], ["odd"])


def test_copy_streams_more_rows_than_one_batch(snapshot):
    settlement = Settlement.objects.get(pcode="C2663")
    rows = ((snapshot.pk, settlement.pk, "changed", f"f{i}", str(i), "") for i in range(2500))

    assert copy_rows(ListChange, ["snapshot", "settlement", "kind", "field", "old", "new"], rows) == 2500
    assert ListChange.objects.filter(new="").count() == 2500
    assert sorted(int(old) for old in ListChange.objects.values_list("old", flat=True)) == list(range(2500))


def test_a_staged_update_sets_nulls_and_values_over_many_pages():
    ids = list(Settlement.objects.order_by("pk").values_list("pk", flat=True)[:120])
    day = datetime.date(2017, 9, 12)
    rows = [(pk, None if i % 2 else i, day, "" if i % 3 else "partial") for i, pk in enumerate(ids)]

    update_rows(Settlement, ["population", "last_listed", "water_supply"], rows, page_size=50)

    found = {
        row[0]: row[1:]
        for row in Settlement.objects.filter(pk__in=ids).values_list("pk", "population", "last_listed", "water_supply")
    }
    assert found == {pk: tuple(values) for pk, *values in rows}


def test_insert_new_returns_the_ids_in_order_and_leaves_every_other_field_at_its_default():
    homs = Settlement.objects.get(pcode="C2663").governorate
    rows = [
        {"pcode": "C8000001", "name_en": "First", "governorate": homs.pk, "location": point_ewkt(36.5, 34.1)},
        {"pcode": "C8000002", "name_en": "Second", "governorate": homs.pk, "location": point_ewkt(36.6, 34.2)},
    ]

    ids = insert_new(Settlement, rows)

    first, second = (Settlement.objects.get(pk=pk) for pk in ids)
    assert (first.pcode, second.pcode) == ("C8000001", "C8000002")
    assert (second.location.x, second.location.y, second.governorate_id) == (36.6, 34.2, homs.pk)
    assert (first.population, first.on_latest_list, first.unverified, first.notes) == (None, False, False, "")


def test_insert_new_refuses_a_column_name_for_a_field_name():
    with pytest.raises(ValueError, match="no field governorate_id"):
        insert_new(Settlement, [{"pcode": "C8000003", "name_en": "Third", "governorate_id": 1}])
