"""Every published sample list, imported for real into PostGIS."""

import datetime
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django_celery_beat.models import PeriodicTask

from settlements import services
from settlements.importing.service import import_from_source
from settlements.models import (
    AidRequest,
    ImportRun,
    ListChange,
    ListEntry,
    ListSnapshot,
    Settlement,
)
from tests import factories
from tests.paths import DAILY_LISTS

pytestmark = pytest.mark.django_db

SAMPLES = DAILY_LISTS
DAY1 = SAMPLES / "2017-09-11"
DAY2 = SAMPLES / "2017-09-12"
RUSSIAN = SAMPLES / "2017-09-13" / "spisok-ru.csv"
DAY1_FILES = ["settlement-list.csv", "settlement-list.xlsx", "settlement-list.json", "settlement-list.hxl.csv"]
DAY1_FILES += ["settlement-list.docx"]


def expected(day: Path) -> dict:
    return json.loads((day / "expected.json").read_text(encoding="utf-8"))


def matched_pcodes(run: ImportRun) -> dict[int, str]:
    entries = ListEntry.objects.filter(snapshot__import_run=run).select_related("settlement")
    return {e.row: e.settlement.pcode if e.settlement else "review" for e in entries}


# Where the first data row stands in each format: rows are numbered as the source numbers them.
FIRST_ROW = {
    "settlement-list.csv": 2,  # CSV line, the header is line 1
    "settlement-list.xlsx": 2,  # sheet row
    "settlement-list.json": 1,  # array index + 1
    "settlement-list.hxl.csv": 3,  # the hashtag row is line 2
    "settlement-list.docx": 2,  # Word table row
}


@pytest.mark.parametrize("name", DAY1_FILES)
def test_each_format_of_day_one_yields_the_same_69_settlements(name):
    result = import_from_source(str(DAY1 / name))

    run = result.run
    assert (run.status, run.list_date, run.rows, run.matched, run.errors) == (
        "succeeded",
        datetime.date(2017, 9, 11),
        69,
        69,
        0,
    )
    first = FIRST_ROW[name]
    assert matched_pcodes(run) == {r["row"] - 1 + first: r["expected"] for r in expected(DAY1)["rows"]}
    assert Settlement.objects.filter(on_latest_list=True).count() == 69


def test_each_format_records_its_own_format():
    formats = {name: import_from_source(str(DAY1 / name)).run.format for name in DAY1_FILES}

    assert formats == {
        "settlement-list.csv": "csv",
        "settlement-list.xlsx": "xlsx",
        "settlement-list.json": "json",
        "settlement-list.hxl.csv": "hxl",
        "settlement-list.docx": "docx",
    }


def test_the_figures_and_the_source_words_are_kept_per_settlement_per_day():
    import_from_source(str(DAY1 / "settlement-list.csv"))

    nayrab = Settlement.objects.get(pcode="C3867")
    assert (nayrab.population, nayrab.returnees, nayrab.water_supply) == (5380, 441, "partial")
    assert (nayrab.first_listed, nayrab.last_listed, nayrab.last_confirmed) == (datetime.date(2017, 9, 11),) * 3
    entry = nayrab.list_entries.get()
    assert entry.raw["Notes"] == "School reopened on 10 Sept"
    assert entry.raw["P-code"] == ""
    assert entry.values["food_t"] == "7.40"
    assert entry.method == "name"


def test_the_russian_cp1251_list_matches_by_transliteration_and_sends_two_rows_to_review():
    run = import_from_source(str(RUSSIAN)).run

    assert (run.rows, run.matched, run.unmatched, run.errors) == (40, 38, 2, 0)
    assert matched_pcodes(run) == {r["line"]: r["expected"] for r in expected(RUSSIAN.parent)["rows"]}
    ambiguous = ListEntry.objects.get(snapshot__import_run=run, row=7)
    assert {c["pcode"] for c in ambiguous.candidates} == {"C3085", "C3189"}
    # Decimal commas read as decimals.
    assert ListEntry.objects.get(snapshot__import_run=run, row=2).values["food_t"] == "2.40"


def test_day_two_records_what_was_added_removed_and_changed():
    import_from_source(str(DAY1 / "settlement-list.csv"))
    run = import_from_source(str(DAY2 / "settlement-list.csv")).run
    diff = expected(DAY2)["diff_vs_2017-09-11"]
    changes = ListChange.objects.filter(snapshot__import_run=run).select_related("settlement")

    added = {c.settlement.pcode for c in changes if c.kind == "added"}
    removed = {c.settlement.pcode for c in changes if c.kind == "removed"}
    assert added == {d["pcode"] for d in diff["added"]}
    assert removed == {d["pcode"] for d in diff["removed"]}
    column_of = {
        "food_t": "Food need (t)",
        "medicine_t": "Medicine need (t)",
        "population": "Population",
        "returnees": "Returnees",
        "houses_destroyed": "Houses destroyed",
        "schools_destroyed": "Schools destroyed",
        "hospitals_destroyed": "Hospitals destroyed",
    }
    changed = {}
    for c in changes:
        if c.kind == "changed":
            changed.setdefault(c.settlement.pcode, []).append(column_of[c.field])
    assert {pcode: sorted(cols) for pcode, cols in changed.items()} == {
        d["pcode"]: sorted(d["columns"]) for d in diff["changed"]
    }
    assert run.removed == 3


def test_a_dry_run_of_day_two_reports_what_the_import_then_does():
    import_from_source(str(DAY1 / "settlement-list.csv"))
    day2 = str(DAY2 / "settlement-list.csv")
    settlements_before = list(Settlement.objects.order_by("pk").values())
    requests_before = list(AidRequest.objects.order_by("pk").values())

    dry = import_from_source(day2, dry_run=True)

    assert list(Settlement.objects.order_by("pk").values()) == settlements_before
    assert list(AidRequest.objects.order_by("pk").values()) == requests_before
    assert (ImportRun.objects.count(), ListSnapshot.objects.count()) == (1, 1)
    real = import_from_source(day2)
    dry_summary, real_summary = dry.summary(), real.summary()
    for name in ("run", "dry_run", "timings"):
        del dry_summary[name], real_summary[name]
    assert dry_summary == real_summary
    assert (real.run.updated, real.run.removed) != (0, 0)
    assert dry.changes and sorted(map(str, dry.changes)) == sorted(map(str, real.changes))


def test_settlements_off_todays_list_leave_the_list_but_stay():
    import_from_source(str(DAY1 / "settlement-list.csv"))
    import_from_source(str(DAY2 / "settlement-list.csv"))

    dropped = Settlement.objects.get(pcode="C1536")
    assert not dropped.on_latest_list
    assert dropped.last_listed == datetime.date(2017, 9, 11)
    assert Settlement.objects.filter(on_latest_list=True).count() == 70


def test_the_same_content_again_is_unchanged_and_writes_nothing_else():
    import_from_source(str(DAY1 / "settlement-list.csv"))
    before = (ListSnapshot.objects.count(), ListEntry.objects.count(), AidRequest.objects.count())

    again = import_from_source(str(DAY1 / "settlement-list.csv")).run

    assert again.status == "unchanged"
    assert (ListSnapshot.objects.count(), ListEntry.objects.count(), AidRequest.objects.count()) == before
    assert ImportRun.objects.count() == 2


def test_another_format_of_the_same_day_replaces_that_days_snapshot():
    import_from_source(str(DAY1 / "settlement-list.csv"))
    run = import_from_source(str(DAY1 / "settlement-list.json")).run

    snapshot = ListSnapshot.objects.get()
    assert snapshot.import_run == run
    assert snapshot.entries.count() == 69


def test_stated_needs_become_list_requests_without_touching_staff_requests():
    nayrab = Settlement.objects.get(pcode="C3867")
    staff_request = factories.aid_request(settlement=nayrab, category="food", quantity=Decimal("999"))

    import_from_source(str(DAY1 / "settlement-list.csv"))

    from_list = AidRequest.objects.filter(settlement=nayrab, source="daily_list")
    assert {(r.category, r.quantity) for r in from_list} == {("food", Decimal("7.40")), ("medicine", Decimal("0.27"))}
    assert all(r.list_snapshot.list_date == datetime.date(2017, 9, 11) for r in from_list)
    staff_request.refresh_from_db()
    assert staff_request.quantity == Decimal("999")


def test_the_next_list_updates_the_need_it_stated_instead_of_adding_one():
    import_from_source(str(DAY1 / "settlement-list.csv"))
    import_from_source(str(DAY2 / "settlement-list.csv"))

    food = AidRequest.objects.get(settlement__pcode="C1342", source="daily_list", category="food")
    assert food.quantity == Decimal("3.10")
    assert food.list_snapshot.list_date == datetime.date(2017, 9, 12)


def test_a_need_the_next_list_raises_is_no_longer_met_by_what_was_delivered():
    import_from_source(str(DAY1 / "settlement-list.csv"))
    food = AidRequest.objects.get(settlement__pcode="C1342", source="daily_list", category="food")
    factories.delivery(food, quantity="2.4")
    services.refresh_request_status(request_ids=[food.pk])
    food.refresh_from_db()
    assert food.status == AidRequest.Status.MET
    medicine = AidRequest.objects.get(settlement__pcode="C1342", source="daily_list", category="medicine")
    food_updated, medicine_updated = food.updated_at, medicine.updated_at

    import_from_source(str(DAY2 / "settlement-list.csv"))  # 2.4 t stated yesterday, 3.1 t today

    food.refresh_from_db()
    assert (food.quantity, food.status) == (Decimal("3.10"), AidRequest.Status.PARTIALLY_MET)
    assert food.updated_at > food_updated
    unchanged = AidRequest.objects.get(pk=medicine.pk)
    assert unchanged.list_snapshot.list_date == datetime.date(2017, 9, 12)  # restated, same 0.10 t
    assert unchanged.updated_at == medicine_updated  # restated is not changed


def updates_in_this_transaction() -> dict[str, tuple[int, int]]:
    """(rows updated, of them in place) per table, so far in the test's transaction."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
            "WHERE relname IN ('settlements_settlement', 'settlements_aidrequest')"
        )
        return {name: (updated, hot) for name, updated, hot in cursor.fetchall()}


def test_the_next_days_list_rewrites_settlements_and_needs_in_place_without_touching_their_indexes():
    import_from_source(str(DAY1 / "settlement-list.csv"))
    before = updates_in_this_transaction()

    import_from_source(str(DAY2 / "settlement-list.csv"))  # every settlement's dates, every need restated

    after = updates_in_this_transaction()
    for table in ("settlements_settlement", "settlements_aidrequest"):
        updated, in_place = (a - b for a, b in zip(after[table], before[table], strict=True))
        assert updated >= 60, table
        # Half of each page is kept free (migration 0025); a page's last row or two may find the half
        # just full (the new versions also need their line pointers). Without it, hardly any are in place.
        assert in_place >= 0.95 * updated, f"{table}: {updated - in_place} of {updated} updates rewrote its indexes"


def test_an_empty_cell_never_overwrites_a_value(tmp_path):
    Settlement.objects.filter(pcode="C3315").update(population=4321, returnees=12)
    listing = tmp_path / "list-2017-09-20.csv"
    listing.write_text("Settlement,P-code,Population,Returnees\nOqeirbat,C3315,,15\n", encoding="utf-8")

    import_from_source(str(listing))

    oqeirbat = Settlement.objects.get(pcode="C3315")
    assert (oqeirbat.population, oqeirbat.returnees) == (4321, 15)


def test_an_older_list_is_recorded_without_rolling_back_newer_figures():
    import_from_source(str(DAY2 / "settlement-list.csv"))
    import_from_source(str(DAY1 / "settlement-list.csv"))

    assert Settlement.objects.get(pcode="C3871").population == 316360  # the 2017-09-12 figure
    assert Settlement.objects.get(pcode="C1536").last_listed == datetime.date(2017, 9, 11)
    assert ListSnapshot.objects.count() == 2


def test_counts_add_up():
    run = import_from_source(str(RUSSIAN)).run

    assert run.matched + run.created + run.unmatched + run.errors == run.rows
    assert run.updated + run.unchanged == run.matched
    assert Counter(ListEntry.objects.values_list("outcome", flat=True)) == {"matched": 38, "review": 2}


def test_the_daily_import_is_scheduled_in_the_database_at_six_in_damascus():
    task = PeriodicTask.objects.get(task="settlements.import_daily_list")

    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("6", "0", "Asia/Damascus")
    assert task.enabled
