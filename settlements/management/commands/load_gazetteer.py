import time

from django.core.management.base import BaseCommand, CommandError

from settlements.gazetteer import load_gazetteer
from settlements.gazetteer_updates import GazetteerFileError, load_gazetteer_file


class Command(BaseCommand):
    help = (
        "Load Syria's admin areas and 5,251 communities from the shipped gazetteer, or, with PATH, add and update "
        "communities from a CSV or XLSX in OCHA's COD layout. Never deletes; safe to repeat."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="a CSV or XLSX in OCHA's COD column layout (admin4_pcode, ...)")

    def handle(self, *args, path=None, **options):
        started = time.perf_counter()
        if path is None:
            summary = load_gazetteer().summary()
        else:
            try:
                result = load_gazetteer_file(path)
            except (GazetteerFileError, OSError) as exc:
                raise CommandError(str(exc), returncode=1) from None
            for error in result.errors[:50]:
                self.stderr.write(f"  {error}")
            summary = result.summary()
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"{summary} ({elapsed:.1f} s)"))
