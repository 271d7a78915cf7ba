import psycopg2
from django.core.management.base import BaseCommand, CommandError

from aidtrack.database import connect, create_database_if_missing, database_name


class Command(BaseCommand):
    help = "Create the configured PostgreSQL database and its PostGIS extension if they are missing."

    def handle(self, *args, **options):
        name = database_name()
        try:
            if create_database_if_missing(name):
                self.stdout.write(self.style.SUCCESS(f"Created database {name}."))
            else:
                self.stdout.write(f"Database {name} exists.")
            self._create_postgis(name)
        except psycopg2.Error as exc:
            raise CommandError(f"Could not prepare database {name!r}: {exc}".strip()) from exc

    def _create_postgis(self, name):
        conn = connect(name)
        try:
            with conn.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                cursor.execute("SELECT postgis_lib_version()")
                self.stdout.write(f"PostGIS {cursor.fetchone()[0]} ready in {name}.")
        finally:
            conn.close()
