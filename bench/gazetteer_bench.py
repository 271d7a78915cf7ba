"""Gazetteer benchmark: `load_gazetteer PATH` of a 100,000-community file in OCHA's COD layout.

Against the bench database (100,000 settlements, 1,000,000 requests), each run times the command
as staff run it, in a process of its own (wall time and peak memory):
- first load: 100,000 communities AidTrack does not know, each added with its names, point and areas;
- the same file again: nothing changes, nothing is written;
- a new version: 25,000 of them renamed (old names kept as aliases) and 2,000 moved.
The communities are removed after each run, so the other benchmarks find the database as it was.

    .venv/bin/python bench/gazetteer_bench.py [--runs 3]
"""

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, main_with_runs, manage, measured, prepare, seed_requests, summary, timed

RESULTS = ROOT / "bench" / "results" / "gazetteer.json"
PREFIX = "C7"  # the file's P-codes, C7000000...; the real gazetteer stops at C6xxx, the bench's own are C8 and C9
COMMUNITIES = 100_000
COLUMNS = [
    "admin1_pcode", "admin1_name_en", "admin2_pcode", "admin2_name_en", "admin3_pcode", "admin3_name_en",
    "admin4_pcode", "admin4_name_en", "admin4_name_ar", "latitude", "longitude",
]  # fmt: skip


def write_file(path: Path, *, renamed: int = 0, moved: int = 0) -> Path:
    """The file: every community under a real sub-district; the first `renamed` with new names, the
    next `moved` a little further east."""
    from settlements.models import AdminArea

    sub_districts = list(
        AdminArea.objects.filter(level=3, parent__parent__isnull=False).values_list(
            "pcode", "name_en", "parent__pcode", "parent__name_en", "parent__parent__pcode", "parent__parent__name_en"
        )
    )
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for i in range(COMMUNITIES):
            area3, name3, area2, name2, area1, name1 = sub_districts[i % len(sub_districts)]
            name_en, name_ar = f"Gazetteer place {i}", f"مكان {i}"
            if i < renamed:
                name_en, name_ar = f"Renamed place {i}", f"مكان جديد {i}"
            lon = 36.0 + (i % 500) / 100 + (0.01 if renamed <= i < renamed + moved else 0)
            lat = 32.5 + (i // 500 % 400) / 100
            writer.writerow([area1, name1, area2, name2, area3, name3, f"{PREFIX}{i:06d}", name_en, name_ar, lat, lon])
    return path


def remove_communities() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM settlements_settlementalias WHERE settlement_id IN "
            "(SELECT id FROM settlements_settlement WHERE pcode LIKE %s)",
            [f"{PREFIX}%"],
        )
        cursor.execute("DELETE FROM settlements_settlement WHERE pcode LIKE %s", [f"{PREFIX}%"])
        cursor.execute("VACUUM ANALYZE settlements_settlement, settlements_settlementalias")


def load(path: Path) -> tuple[float, float, str]:
    elapsed, peak, out = timed([sys.executable, str(ROOT / "manage.py"), "load_gazetteer", str(path)])
    return elapsed, peak, out.strip().splitlines()[-1]


def run(runs: int) -> dict:
    prepare(100_000)
    seed_requests(1_000_000)
    first_file = write_file(ROOT / "var" / "bench-gazetteer.csv")
    new_version = write_file(ROOT / "var" / "bench-gazetteer-next.csv", renamed=25_000, moved=2_000)
    scenarios = {"first_load": first_file, "same_file_again": first_file, "new_version": new_version}
    seconds = {name: [] for name in scenarios}
    memory = {name: [] for name in scenarios}
    said = {}
    for _ in range(runs):
        remove_communities()
        for name, path in scenarios.items():
            elapsed, peak, said[name] = load(path)
            seconds[name].append(elapsed)
            memory[name].append(peak)
    remove_communities()
    manage("load_gazetteer")  # the shipped gazetteer's names, as the other benchmarks expect them
    return measured(
        {
            "what": f"load_gazetteer PATH of {COMMUNITIES:,} communities (process start included)",
            "scenarios": {
                name: {"seconds": summary(seconds[name]), "peak_memory_mib": summary(memory[name]), "said": said[name]}
                for name in scenarios
            },
        },
        f"make bench (bench/gazetteer_bench.py --runs {runs})",
    )


if __name__ == "__main__":
    main_with_runs(__doc__, run, RESULTS)
