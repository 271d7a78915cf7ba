import time
from pathlib import Path

from django.core.management.base import BaseCommand

from settlements.areas.drawing import draw_areas, write_outlines
from settlements.gazetteer import DATA_DIR, DRAWN_GEOJSON, official_boundaries


class Command(BaseCommand):
    help = (
        "Draw approximate outlines for the sub-districts (and the districts the official 2015 outlines lack) "
        "from the loaded gazetteer's communities, and write them where load_gazetteer reads them. "
        "Run load_gazetteer again afterwards to load them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=DATA_DIR / DRAWN_GEOJSON, help="where to write the GeoJSON")

    def handle(self, *args, output: Path, **options):
        started = time.perf_counter()
        outlines = draw_areas(official_boundaries())
        write_outlines(outlines, output)
        elapsed = time.perf_counter() - started
        size = output.stat().st_size // 1024
        summary = f"{len(outlines)} outlines written to {output} ({size} KB, {elapsed:.1f} s)"
        self.stdout.write(self.style.SUCCESS(summary))
