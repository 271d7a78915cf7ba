"""The configured PostgreSQL database as the command-line tools see it: connection parameters for
psycopg2 and the environment pg_dump, pg_restore and psql read (the password never on a command line)."""

import os

import psycopg2
from django.conf import settings
from psycopg2 import sql


def connection_params() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "connect_timeout": 5,
    }


def database_name() -> str:
    return settings.DATABASES["default"]["NAME"]


def tool_env() -> dict[str, str]:
    """The environment for pg_dump and pg_restore: libpq's variables for the configured database."""
    params = connection_params()
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"}
    env = {**os.environ, "PGDATABASE": database_name(), "PGCONNECT_TIMEOUT": "5"}
    env.update({names[key]: str(value) for key, value in params.items() if key in names and value})
    return env


def connect(name: str | None = None):
    conn = psycopg2.connect(dbname=name or database_name(), **connection_params())
    conn.autocommit = True
    return conn


def create_database_if_missing(name: str) -> bool:
    """Create `name` on the configured server; False when it was already there."""
    conn = connect("postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        conn.close()
