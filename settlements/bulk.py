"""Bulk writes for imports, where bulk_update (a CASE per field) and bulk_create are too slow at 100k rows."""

import io
import json

from django.contrib.gis.db.models import GeometryField
from django.db import connection
from django.db.models import JSONField
from psycopg2.extras import execute_values


def update_rows(model, fields: list[str], rows: list[tuple], *, page_size: int = 5000) -> None:
    """Set `fields` of many rows in one statement per page.

    Each row is (pk, value of each field...). Values are cast to each column's type.
    """
    if not rows:
        return
    opts = model._meta
    model_fields = [opts.get_field(name) for name in fields]
    columns = [field.column for field in model_fields]
    casts = [opts.pk.db_type(connection), *(opts.get_field(name).db_type(connection) for name in fields)]
    assignments = ", ".join(f'"{column}" = v."{column}"' for column in columns)
    names = ", ".join(f'"{column}"' for column in ["__pk", *columns])
    template = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    sql = (
        f'UPDATE "{opts.db_table}" AS t SET {assignments} '  # noqa: S608 (names come from the model, values are bound)
        f'FROM (VALUES %s) AS v({names}) WHERE t."{opts.pk.column}" = v."__pk"'
    )
    # Geometries and JSON go through their field's conversion; plain values bind as they are.
    preparing = [_needs_prep(field) for field in model_fields]
    if any(preparing):
        rows = [
            (row[0], *(_prep(f, v) if p else v for f, p, v in zip(model_fields, preparing, row[1:], strict=True)))
            for row in rows
        ]
    elif len(rows) > page_size:
        # Many rows: COPY them into a scratch table and update from it in one statement.
        staged = ", ".join(f'"{c}" {t}' for c, t in zip(["__pk", *columns], casts, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE aidtrack_staged ({staged}) ON COMMIT DROP")
            _copy(cursor, "aidtrack_staged", ["__pk", *columns], rows, [False] * len(casts))
            cursor.execute(sql.replace("(VALUES %s)", "aidtrack_staged"))
            cursor.execute("DROP TABLE aidtrack_staged")
        return
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, sql, rows, template=template, page_size=page_size)


def _needs_prep(field) -> bool:
    return isinstance(field, GeometryField | JSONField)


def _prep(field, value):
    return field.get_db_prep_save(value, connection)


def _copy_cell(value, is_json: bool) -> str:
    """One CSV cell for COPY: unquoted empty for NULL, quoted text for everything else."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if is_json else str(value)
    return '"' + text.replace('"', '""') + '"'


def copy_rows(model, fields: list[str], rows) -> int:
    """Insert many rows with PostgreSQL COPY: no model instances, no per-row SQL. Returns the count."""
    opts = model._meta
    model_fields = [opts.get_field(name) for name in fields]
    if any(isinstance(f, GeometryField) for f in model_fields):
        raise ValueError("copy_rows writes plain values and JSON; insert geometries with bulk_create")
    is_json = [isinstance(f, JSONField) for f in model_fields]
    with connection.cursor() as cursor:
        return _copy(cursor, opts.db_table, [f.column for f in model_fields], rows, is_json)


class _Lines(io.TextIOBase):
    """CSV lines produced while COPY reads them, so PostgreSQL stores rows as Python formats the next ones."""

    def __init__(self, rows, is_json: list[bool]):
        self.rows, self.is_json, self.count, self.pending = iter(rows), is_json, 0, ""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        chunks, length = [self.pending], len(self.pending)
        for row in self.rows:
            line = ",".join(_copy_cell(v, j) for v, j in zip(row, self.is_json, strict=True)) + "\n"
            chunks.append(line)
            length += len(line)
            self.count += 1
            if 0 <= size <= length:
                break
        text = "".join(chunks)
        if size < 0:
            self.pending = ""
            return text
        self.pending = text[size:]
        return text[:size]


def _copy(cursor, table: str, columns: list[str], rows, is_json: list[bool]) -> int:
    lines = _Lines(rows, is_json)
    names = ", ".join(f'"{c}"' for c in columns)
    cursor.cursor.copy_expert(f'COPY "{table}" ({names}) FROM STDIN WITH (FORMAT csv)', lines, size=256 * 1024)
    return lines.count
