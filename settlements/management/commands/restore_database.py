from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aidtrack.backups import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup_database file into the database DATABASE_URL names (refusing a non-empty one)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A .dump file written by backup_database.")
        parser.add_argument("--force", action="store_true", help="Replace the contents of a non-empty database.")

    def handle(self, *args, **options):
        try:
            name = restore(options["file"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {options['file'].name} into {name}."))
