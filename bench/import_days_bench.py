"""Import benchmark, the days after the first: a changed list, a list of new places, the same list again.

Against a 102,000-settlement gazetteer and 1,000,000 staff requests (the bench database):

- day two: a 100,000-row list the day after a 100,000-row list, with 25,000 rows whose population
  changed, 2,000 settlements new to the list and 2,000 gone from it. Beside it, in the same run and
  the same state, its floor: the rows AidTrack writes for that list (100,000 entries, the list's
  changes, the listed settlements' figures and dates, those gone taken off the list, and the
  list's 200,000 needs restated on their requests or added) COPYed into the same tables with the
  same indexes, the settlements and the needs each through a staging table and one
  `UPDATE ... FROM`, in one transaction (rolled back). The floor without the needs, as it was
  measured before they were counted, is reported beside it.
- new places: a 100,000-row list whose every row is a P-code the gazetteer lacks, with its
  governorate and coordinates, so every row creates a settlement.
- the same day-two list again: recorded unchanged, and the rows written to AidTrack's tables
  counted (PostgreSQL's own statistics), which must be none.

Every figure is a whole `manage.py import_settlement_list` process timed from outside with its
peak memory, plus the phases the import reports.

    make bench     # or: .venv/bin/python bench/import_days_bench.py [--runs 3]
"""

import csv
import datetime
import io
import json
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_DATABASE_URL, ROOT, main_with_runs, measured, prepare, seed_requests, summary, timed
from import_bench import import_command, reset

RESULTS = ROOT / "bench" / "results" / "import_days.json"
LISTED, GONE, NEW, CHANGED = 100_000, 2_000, 2_000, 25_000
HEADER = ["Governorate", "Settlement", "P-code", "Population", "Food need (t)", "Medicine need (t)"]
NEW_PREFIX = "C8"  # the new places' P-codes: C8000001...; neither the gazetteer's nor the bench's C9
WRITTEN_TABLES = (
    "settlements_settlement",
    "settlements_listentry",
    "settlements_listchange",
    "settlements_listsnapshot",
    "settlements_aidrequest",
    "settlements_figureconflict",
    "settlements_sourcedisagreement",
)


def gazetteer() -> list[tuple]:
    """(id, pcode, name, governorate name, governorate id) of the first LISTED + NEW settlements."""
    from settlements.models import Settlement

    rows = Settlement.objects.order_by("pk").values_list(
        "pk", "pcode", "name_en", "governorate__name_en", "governorate_id"
    )
    return list(rows[: LISTED + NEW])


def figures(i: int, *, day: int) -> tuple[int, str, str]:
    population = 500 + i % 9000
    if day == 2 and GONE <= i < GONE + CHANGED:
        population += 7
    return population, f"{1 + i % 50}.5", f"0.{i % 90 + 10}"


def day_rows(places: list[tuple], day: int) -> list[tuple[int, tuple]]:
    """Day one lists places 0..99,999; day two 2,000..101,999, the first 25,000 of those changed."""
    start = 0 if day == 1 else GONE
    return [(i, places[i]) for i in range(start, start + LISTED)]


def write_day(path: Path, places: list[tuple], day: int) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i, (_, pcode, name, governorate, _) in day_rows(places, day):
            writer.writerow([governorate, name, pcode, *figures(i, day=day)])
    return path


def write_new_places(path: Path, places: list[tuple]) -> Path:
    """Every row a P-code the gazetteer lacks, with the governorate and a point in Syria."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Governorate", "Settlement", "P-code", "Latitude", "Longitude", "Population"])
        for i in range(LISTED):
            governorate = places[i][3]
            lat, lon = 32.6 + (i % 400) / 100, 36.1 + (i // 400 % 400) / 100
            writer.writerow(
                [governorate, f"New place {i}", f"{NEW_PREFIX}{i:06d}", f"{lat:.4f}", f"{lon:.4f}", 100 + i]
            )
    return path


def forget_new_places() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM settlements_settlement WHERE pcode LIKE %s", [f"{NEW_PREFIX}%"])
        cursor.execute("VACUUM ANALYZE settlements_settlement")


def rows_written() -> int:
    """Rows inserted, updated and deleted in AidTrack's list tables since the server started."""
    from django.db import connection

    time.sleep(1.5)  # another backend's statistics reach the shared counters within a second
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables "
            "WHERE relname = ANY(%s)",
            [list(WRITTEN_TABLES)],
        )
        return int(cursor.fetchone()[0])


def imported(path: Path, date: datetime.date, status: str) -> dict:
    seconds, peak, out = timed(import_command(path, date))
    result = json.loads(out.strip().splitlines()[-1])
    if result["status"] != status:
        raise RuntimeError(f"expected {status}, got {result['status']}:\n{out}")
    return {"seconds": seconds, "peak": peak, "timings": result.get("timings", {}), "summary": result}


def json_cells(raw: dict, values: dict) -> list[str]:
    return [orjson.dumps(raw).decode(), orjson.dumps(values).decode(), "", "[]", "[]"]


# --- the floor -------------------------------------------------------------------------------


class Floor:
    """The rows the day-two import writes, prepared in memory, then COPYed in one transaction."""

    def __init__(self, places: list[tuple], day: datetime.date):
        self.day = day
        entries, changes, listed = io.StringIO(), io.StringIO(), io.StringIO()
        restated, added = io.StringIO(), io.StringIO()  # the needs a request holds already, and the others
        quoted = {"quoting": csv.QUOTE_ALL, "lineterminator": "\n"}  # '' stays text; COPY reads NULL only unquoted
        entry, change, settlement = (csv.writer(f, **quoted) for f in (entries, changes, listed))
        need_of = {"restated": csv.writer(restated, **quoted), "added": csv.writer(added, **quoted)}
        for row_number, (i, (pk, pcode, name, governorate, governorate_id)) in enumerate(day_rows(places, 2), 2):
            population, food, medicine = figures(i, day=2)
            raw = dict(zip(HEADER, [governorate, name, pcode, str(population), food, medicine], strict=True))
            values = {"name": name, "pcode": pcode, "governorate": governorate, "population": population}
            values |= {"food_t": food, "medicine_t": medicine, "row_number": row_number}
            entry.writerow(
                [
                    "{snapshot}",
                    row_number,
                    pk,
                    "matched",
                    "pcode",
                    100.0,
                    name,
                    pcode,
                    governorate_id,
                    *json_cells(raw, values),
                ]
            )
            settlement.writerow([pk, population])
            need = need_of["added" if i >= LISTED else "restated"]
            need.writerows([[pk, "food", food], [pk, "medicine", medicine]])
            if i >= LISTED:
                change.writerow(["{snapshot}", pk, "added", "", "", ""])
            elif i < GONE + CHANGED:
                change.writerow(["{snapshot}", pk, "changed", "population", population - 7, population])
        self.gone = [places[i][0] for i in range(GONE)]
        for pk in self.gone:
            change.writerow(["{snapshot}", pk, "removed", "", "", ""])
        self.entries, self.changes, self.listed = entries.getvalue(), changes.getvalue(), listed.getvalue()
        self.restated, self.added = restated.getvalue(), added.getvalue()

    def run(self) -> tuple[float, float]:
        """Seconds for the entries, changes and settlements, and for those and the list's needs."""
        import psycopg2

        connection = psycopg2.connect(BENCH_DATABASE_URL.replace("postgis://", "postgresql://", 1))
        try:
            with connection.cursor() as cursor:
                # The snapshot's id is reserved first, so the rows carry it as AidTrack's do.
                cursor.execute("SELECT nextval(pg_get_serial_sequence('settlements_listsnapshot', 'id'))")
                snapshot = cursor.fetchone()[0]
                entries = self.entries.replace("{snapshot}", str(snapshot))
                changes = self.changes.replace("{snapshot}", str(snapshot))
                started = time.perf_counter()
                self._write(cursor, snapshot, entries, changes)
                without_needs = time.perf_counter() - started
                self._write_needs(cursor, snapshot)
                elapsed = time.perf_counter() - started
        finally:
            connection.rollback()
            connection.close()
        return without_needs, elapsed

    def _write(self, cursor, snapshot: int, entries: str, changes: str) -> None:
        cursor.execute(
            "INSERT INTO settlements_listsnapshot (id, list_source_id, list_date, import_run_id, source, sha256, "
            "columns) SELECT %s, min(list_source_id), %s, max(id), 'floor', '', '[]' FROM settlements_importrun",
            [snapshot, self.day],
        )
        cursor.copy_expert(
            "COPY settlements_listentry (snapshot_id, row, settlement_id, outcome, method, score, name, pcode, "
            'governorate_id, raw, "values", message, warnings, candidates) FROM STDIN WITH (FORMAT csv)',
            io.StringIO(entries),
        )
        cursor.copy_expert(
            "COPY settlements_listchange (snapshot_id, settlement_id, kind, field, old, new) FROM STDIN "
            "WITH (FORMAT csv)",
            io.StringIO(changes),
        )
        cursor.execute("CREATE TEMP TABLE floor_listed (id integer, population integer)")
        cursor.copy_expert("COPY floor_listed FROM STDIN WITH (FORMAT csv)", io.StringIO(self.listed))
        cursor.execute(
            "UPDATE settlements_settlement s SET population = l.population, last_listed = %s, "
            "last_confirmed = %s, on_latest_list = true FROM floor_listed l WHERE s.id = l.id",
            [self.day, self.day],
        )
        cursor.execute("UPDATE settlements_settlement SET on_latest_list = false WHERE id = ANY(%s)", [self.gone])

    def _write_needs(self, cursor, snapshot: int) -> None:
        """The list's 200,000 needs (food and medicine of each row): those a request holds already
        restated on it (today's list, its quantity) through a staging table and one UPDATE ... FROM,
        those of the places new to the list inserted from another."""
        for name, needs in (("floor_restated", self.restated), ("floor_added", self.added)):
            cursor.execute(f"CREATE TEMP TABLE {name} (settlement_id bigint, category text, quantity numeric)")
            cursor.copy_expert(f"COPY {name} FROM STDIN WITH (FORMAT csv)", io.StringIO(needs))
        cursor.execute(
            "UPDATE settlements_aidrequest r SET list_snapshot_id = %s, quantity = n.quantity FROM floor_restated n "
            "WHERE r.source = 'daily_list' AND r.settlement_id = n.settlement_id AND r.category = n.category",
            [snapshot],
        )
        cursor.execute(
            "INSERT INTO settlements_aidrequest (settlement_id, category, quantity, unit, priority, status, "
            "status_set_by_staff, source, list_snapshot_id, description, created_at, updated_at) "
            "SELECT n.settlement_id, n.category, n.quantity, 't', 2, 'open', false, 'daily_list', %s, '', now(), now() "
            "FROM floor_added n",
            [snapshot],
        )


# --- the runs --------------------------------------------------------------------------------


def run(runs: int) -> dict:
    prepare(LISTED + NEW)
    staff_requests = seed_requests(1_000_000)
    places = gazetteer()
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    day1, day2 = write_day(var / "bench-day-1.csv", places, 1), write_day(var / "bench-day-2.csv", places, 2)
    new_places = write_new_places(var / "bench-new-places.csv", places)
    first, second = datetime.date(2030, 2, 1), datetime.date(2030, 2, 2)
    floor = Floor(places, second)
    runs_of = {"day_two": [], "floor": [], "floor_without_needs": [], "again": [], "again_rows_written": []}
    runs_of["new_places"] = []
    for _ in range(runs):
        reset()
        imported(day1, first, "succeeded")
        without_needs, with_needs = floor.run()
        runs_of["floor_without_needs"].append(without_needs)
        runs_of["floor"].append(with_needs)
        runs_of["day_two"].append(imported(day2, second, "succeeded"))
        before = rows_written()
        runs_of["again"].append(imported(day2, second, "unchanged"))
        runs_of["again_rows_written"].append(rows_written() - before)
        reset()
        forget_new_places()
        runs_of["new_places"].append(imported(new_places, first, "succeeded"))
        forget_new_places()
    reset()
    day_two = runs_of["day_two"]
    check = day_two[-1]["summary"]
    return measured(
        {
            "what": "day-two, new-place and repeated imports of 100,000-row lists into a 102,000-settlement gazetteer",
            "rows": LISTED,
            "changed": CHANGED,
            "new_on_list": NEW,
            "gone_from_list": GONE,
            "staff_requests": staff_requests,
            "day_two_counts": {k: check[k] for k in ("matched", "updated", "unchanged", "removed", "created")},
            "day_two_s": summary([m["seconds"] for m in day_two]),
            "day_two_peak_mib": summary([m["peak"] for m in day_two]),
            "day_two_phases_s": {p: summary([m["timings"].get(p, 0) for m in day_two]) for p in day_two[0]["timings"]},
            "day_two_floor_s": summary(runs_of["floor"]),
            "day_two_ratio_to_floor": round(
                summary([m["seconds"] for m in day_two])["median"] / summary(runs_of["floor"])["median"], 1
            ),
            "day_two_floor_without_needs_s": summary(runs_of["floor_without_needs"]),
            "again_s": summary([m["seconds"] for m in runs_of["again"]]),
            "again_rows_written": max(runs_of["again_rows_written"]),
            "new_places_s": summary([m["seconds"] for m in runs_of["new_places"]]),
            "new_places_peak_mib": summary([m["peak"] for m in runs_of["new_places"]]),
            "new_places_created": runs_of["new_places"][-1]["summary"]["created"],
            "new_places_phases_s": {
                p: summary([m["timings"].get(p, 0) for m in runs_of["new_places"]])
                for p in runs_of["new_places"][0]["timings"]
            },
        },
        f"make bench (bench/import_days_bench.py --runs {runs})",
    )


if __name__ == "__main__":
    main_with_runs(__doc__, run, RESULTS)
