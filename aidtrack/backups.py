"""Backups of the whole database: pg_dump's custom format (compressed, restorable table by table),
a SHA-256 beside each file, and a restore that checks it and refuses to overwrite data by accident."""

import datetime
import hashlib
import subprocess
from pathlib import Path

from django.conf import settings

from aidtrack.database import connect, create_database_if_missing, database_name, tool_env


class BackupError(Exception):
    """The backup or restore could not be done; the message says why."""


def _run(command: list[str]) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(command, env=tool_env(), capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools).") from None
    if done.returncode:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")
    return done


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_file(backup: Path) -> Path:
    return backup.with_name(backup.name + ".sha256")


def back_up(folder: Path | None = None) -> Path:
    """Dump the configured database to FOLDER/aidtrack-<database>-<UTC time>.dump; returns the path."""
    folder = Path(folder or settings.BACKUP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"aidtrack-{database_name()}-{stamp}.dump"
    partial = target.with_suffix(".dump.partial")
    try:
        _run(["pg_dump", "--format=custom", f"--compress={settings.BACKUP_COMPRESSION}", f"--file={partial}"])
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(target)  # a file under its final name is a whole dump
    checksum_file(target).write_text(f"{_sha256(target)}  {target.name}\n")
    return target


def table_count(name: str) -> int:
    """Tables in the database that are not PostgreSQL's or PostGIS's own."""
    conn = connect(name)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                " AND tablename <> 'spatial_ref_sys'"
            )
            return cursor.fetchone()[0]
    finally:
        conn.close()


def verify(backup: Path) -> None:
    if not backup.is_file():
        raise BackupError(f"No backup at {backup}.")
    sums = checksum_file(backup)
    if sums.exists() and sums.read_text().split()[0] != _sha256(backup):
        raise BackupError(f"{backup.name} does not match its checksum ({sums.name}): the file is damaged.")
    _run(["pg_restore", "--list", str(backup)])  # a custom-format dump, readable to the end of its table of contents


def restore(backup: Path, *, force: bool = False) -> str:
    """Restore a backup into the configured database (created if missing), in one transaction.

    A database that already holds tables is refused unless `force`: then its contents are dropped first.
    Returns the database's name.
    """
    backup = Path(backup)
    verify(backup)
    name = database_name()
    create_database_if_missing(name)
    tables = table_count(name)
    if tables and not force:
        raise BackupError(
            f"The database {name} is not empty ({tables} tables); restoring would mix two databases. "
            "Restore into an empty one, or pass FORCE=1 (--force) to replace its contents."
        )
    if tables:
        _replace_contents(name)
    _run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={name}", str(backup)])
    return name


def _replace_contents(name: str) -> None:
    conn = connect(name)
    try:
        with conn.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    finally:
        conn.close()
