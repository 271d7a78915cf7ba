from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aidtrack.backups import BackupError, back_up


class Command(BaseCommand):
    help = "Write a compressed pg_dump (custom format) of the whole database to BACKUP_DIR, with its SHA-256."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, help="Folder for the backup (default: BACKUP_DIR, var/backups/).")

    def handle(self, *args, **options):
        try:
            path = back_up(options["dir"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backed up to {path} ({path.stat().st_size:,} bytes)."))
        self.stdout.write(str(path))
