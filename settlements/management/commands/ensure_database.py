import psycopg2
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg2 import sql


class Command(BaseCommand):
    help = "Create the configured PostgreSQL database and its PostGIS extension if they are missing."

    def handle(self, *args, **options):
        db = settings.DATABASES["default"]
        params = {
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "connect_timeout": 5,
        }
        try:
            self._create_database(db["NAME"], params)
            self._create_postgis(db["NAME"], params)
        except psycopg2.Error as exc:
            raise CommandError(f"Could not prepare database {db['NAME']!r}: {exc}".strip()) from exc

    def _create_database(self, name, params):
        conn = psycopg2.connect(dbname="postgres", **params)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if cursor.fetchone():
                    self.stdout.write(f"Database {name} exists.")
                    return
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                self.stdout.write(self.style.SUCCESS(f"Created database {name}."))
        finally:
            conn.close()

    def _create_postgis(self, name, params):
        conn = psycopg2.connect(dbname=name, **params)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                cursor.execute("SELECT postgis_lib_version()")
                self.stdout.write(f"PostGIS {cursor.fetchone()[0]} ready in {name}.")
        finally:
            conn.close()
