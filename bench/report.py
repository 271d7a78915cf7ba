"""Write docs/PERFORMANCE.md from bench/results/*.json: AidTrack's figures beside the alternatives'.

.venv/bin/python bench/report.py      (make bench runs it last)
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
OUT = ROOT / "docs" / "PERFORMANCE.md"


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def seconds(figure: dict) -> str:
    return f"{figure['median']:.3g} s [{figure['min']:.3g}-{figure['max']:.3g}]"


def mib(figure: dict) -> str:
    return f"{figure['median']:.0f} MiB"


def ratio(ours: dict, theirs: dict) -> str:
    return f"{theirs['median'] / ours['median']:.1f}x" if ours["median"] else "-"


def import_rows(data: dict) -> list[list[str]]:
    rows = data["rows"]
    first = data["first_import_s"]
    return [
        [
            f"Import {rows:,}-row list, first time (whole process)",
            f"{seconds(first)}, {data['rows_per_s']:,} rows/s, peak {mib(data['peak_memory_mib'])}",
            "django-import-export, fastest settings",
            seconds(data["django_import_export_s"]),
            ratio(first, data["django_import_export_s"]),
        ],
        [
            f"Import {rows:,}-row list, first time (whole process)",
            seconds(first),
            "floor: COPY into a bare table",
            seconds(data["copy_floor_s"]),
            f"AidTrack {data['ratio_to_floor']}x the floor",
        ],
        [
            f"Import {rows:,}-row list, first time (the import alone: read to commit, no process start)",
            seconds(data["first_import_inside_s"]),
            "django-import-export, its import alone",
            seconds(data["django_import_export_inside_s"]),
            ratio(data["first_import_inside_s"], data["django_import_export_inside_s"]),
        ],
        ["Same list again (recorded unchanged)", seconds(data["identical_reimport_s"]), "-", "-", "-"],
        [
            "69-row list replacing the day before (process / import alone)",
            f"{seconds(data['sample_69_rows_next_day_end_to_end_s'])} / "
            f"{seconds(data['sample_69_rows_next_day_import_only_s'])}, peak {mib(data['sample_peak_memory_mib'])}",
            "-",
            "-",
            "-",
        ],
        [
            "69-row list replacing the day before, through a running Celery worker (task sent to result)",
            seconds(data["sample_69_rows_next_day_via_worker_s"]),
            "-",
            "-",
            "-",
        ],
    ]


def import_days_rows(data: dict) -> list[list[str]]:
    day_two, floor = data["day_two_s"], data["day_two_floor_s"]
    phases = ", ".join(f"{name} {figure['median']:.2g}" for name, figure in data["day_two_phases_s"].items())
    lists = f"{data['rows']:,}-row list"
    return [
        [
            f"Day two: a changed {lists} ({data['changed']:,} changed, {data['new_on_list']:,} new to it, "
            f"{data['gone_from_list']:,} gone; whole process)",
            f"{seconds(day_two)}, peak {mib(data['day_two_peak_mib'])} (phases, s: {phases})",
            "floor: the same entries, changes and settlement updates COPYed into the same tables and indexes, "
            "the settlements through a staging table and one UPDATE ... FROM",
            seconds(floor),
            f"AidTrack {day_two['median'] / floor['median']:.1f}x the floor",
        ],
        [
            f"Same day-two list again (recorded unchanged; rows written: {data['again_rows_written']})",
            seconds(data["again_s"]),
            "-",
            "-",
            "-",
        ],
        [
            f"First import of a {lists} of places the gazetteer lacks ({data['new_places_created']:,} created)",
            f"{seconds(data['new_places_s'])}, peak {mib(data['new_places_peak_mib'])}",
            "-",
            "-",
            "-",
        ],
    ]


def dashboard_rows(data: dict) -> list[list[str]]:
    scale = f"{data['aid_requests']:,} requests"
    return [
        [
            f"Dashboard, first view after a write, once a worker rebuilt its figures; {scale}",
            seconds(data["first_view_after_rebuild_s"]),
            "the same view with nobody rebuilding (the visitor builds the figures)",
            seconds(data["first_view_no_rebuild_s"]),
            ratio(data["first_view_after_rebuild_s"], data["first_view_no_rebuild_s"]),
        ],
        [
            f"Dashboard: the worker's rebuild, from the write to the figures built; {scale}",
            seconds(data["worker_rebuild_s"]),
            "-",
            "-",
            "-",
        ],
    ]


def map_rows(data: dict) -> list[list[str]]:
    out = []
    for figures in data["server"].values():
        ours = figures["seconds"]["aidtrack_view_uncached"]
        ours_bytes = figures["bytes"]["aidtrack_view_uncached"]
        label = f"Map settlements layer, {figures['settlements']:,} points (uncached; bytes raw/gzip)"
        for name, title in (
            ("drf_gis_GeoFeatureModelSerializer", "djangorestframework-gis GeoFeatureModelSerializer"),
            ("django_geojson_serializer", "Django geojson serializer"),
        ):
            theirs = figures["seconds"][name]
            size_text = f"{figures['bytes'][name]['raw_bytes']:,}/{figures['bytes'][name]['gzip_bytes']:,} B"
            out.append(
                [
                    label,
                    f"{seconds(ours)}; {ours_bytes['raw_bytes']:,}/{ours_bytes['gzip_bytes']:,} B",
                    title,
                    f"{seconds(theirs)}; {size_text}",
                    ratio(ours, theirs),
                ]
            )
        cached = figures["seconds"]["aidtrack_view_cached"]
        out.append([f"Same layer from the cache, {figures['settlements']:,} points", seconds(cached), "-", "-", "-"])
    for figures in data.get("browser", {}).values():
        out.append(
            [
                f"Browser: navigation to markers drawn, {figures['settlements']:,} settlements",
                seconds(figures["navigation_to_markers_drawn_s"]),
                "-",
                "-",
                "-",
            ]
        )
    return out


def table_rows(data: dict) -> list[list[str]]:
    out = []
    for name, label in (("first_page", "first page"), ("page_2000", "page 2,000")):
        page = data["pages"][name]
        out.append(
            [
                f"Requests table, {label}, {data['aid_requests']:,} requests, 20 clients",
                f"p50 {seconds(page['p50_s'])}, p99 {seconds(page['p99_s'])}, "
                f"{page['requests_per_s']['median']} req/s, {page['errors']} errors",
                "-",
                "-",
                "-",
            ]
        )
    for export in data["export_csv"].values():
        out.append(
            [
                f"CSV export, {export['rows']:,} rows ({export['bytes'] / 1e6:.0f} MB)",
                f"{seconds(export['seconds'])}, peak {mib(export['peak_memory_mib'])}",
                "-",
                "-",
                "-",
            ]
        )
    return out


BULK_PARTS = {
    "bulk_preview": "Bulk entry: a deliveries CSV read and every row checked (the preview)",
    "bulk_preview_and_write": "Bulk entry: preview, then every row written with history and progress",
}
PRESENCE_PARTS = {
    "api_all_districts_after_a_write": "/api/presence/, all areas by district, first view after a write",
    "api_all_districts_cached": "/api/presence/, all areas by district, again (from the cache)",
    "api_one_governorate_sub_districts_after_a_write": "/api/presence/, one governorate by sub-district, after a write",
    "presence_rows": "Presence rows alone (organisation x district x category)",
    "overlaps": "Overlaps alone (one windowed SQL statement)",
    "uncovered_areas": "Areas nobody covers alone (reads the presence rows first)",
    "gaps_by_area": "Gap per district and category alone",
}


def beside_floor(data: dict, parts: dict, scale: str, floor: str, floor_label: str) -> list[list[str]]:
    """A row per measured part, each beside the same floor measured in the same run."""
    figures = data["seconds"]
    return [
        [
            f"{label}; {scale}",
            seconds(figures[name]),
            floor_label,
            seconds(figures[floor]),
            ratio(figures[name], figures[floor]),
        ]
        for name, label in parts.items()
    ]


def coordination_rows(data: dict) -> list[list[str]]:
    bulk = beside_floor(
        data,
        BULK_PARTS,
        f"{data['bulk_rows']:,} rows",
        "floor_bulk_create",
        "floor: Django bulk_create of the same deliveries",
    )
    presence = beside_floor(
        data,
        PRESENCE_PARTS,
        f"{data['deliveries']:,} deliveries, {data['pledges']:,} pledges, {data['organizations']} organisations",
        "floor_sql_group_by",
        "floor: one SQL GROUP BY of the deliveries by organisation, district, category, unit",
    )
    return bulk + presence


def main():
    sections = []
    commands = []
    builders = (
        ("import", import_rows),
        ("import_days", import_days_rows),
        ("map", map_rows),
        ("tables", table_rows),
        ("dashboard", dashboard_rows),
        ("coordination", coordination_rows),
    )
    for name, builder in builders:
        data = load(name)
        if data:
            sections += builder(data)
            commands.append(f"- {name}: `{data['command']}`, measured {data['measured_at']}")
    header = ["What", "AidTrack", "Alternative", "Alternative's figure", "Ratio (alternative / AidTrack)"]
    lines = [
        "# AidTrack performance",
        "",
        "Written by `bench/report.py` from `bench/results/*.json` after `make bench`. Figures are medians",
        "of several runs with [min-max]; AidTrack and each alternative ran interleaved in the same",
        "invocation on the same machine (2 cores), against the bench database (100,000 settlements,",
        "1,000,000 aid requests). Seconds are wall time of whole processes unless the row says otherwise.",
        "Each benchmark's runs were made on the day given below; this machine's shared cores are not equally",
        "fast every day (django-import-export's time on the same file has ranged from 26 s to 66 s), so",
        "compare a figure with the alternative measured beside it rather than with another day's figure.",
        "",
        "The daily list import's targets: a 100,000-row P-coded list imported for the first time in under",
        "15 s and again in under 3 s, the 69-row sample list in under 1 s end to end. Where users wait",
        "(issue 24): a changed 100,000-row list on day two in under 8 s and within 4x of its floor; 100,000",
        "new places in under 25 s; the same list again in under 1 s writing no row; the dashboard's first",
        "view after a write in under 1 s; the requests table at p99 under 250 ms with 20 clients; a",
        "1,000,000-row CSV export in under 6 s and 200 MB.",
        "",
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
        *("| " + " | ".join(row) + " |" for row in sections),
        "",
        "Runs:",
        *commands,
        "",
    ]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines))
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
