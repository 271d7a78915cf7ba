"""Bulk writes for imports, where bulk_update (a CASE per field) and bulk_create are too slow at 100k rows."""

import csv
import io
import itertools

import orjson
from django.contrib.gis.db.models import GeometryField
from django.contrib.postgres.fields import ArrayField
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
            nullable = [field.column for field in model_fields if field.null]
            _copy(cursor, "aidtrack_staged", ["__pk", *columns], rows, nullable=nullable)
            cursor.execute(sql.replace("(VALUES %s)", "aidtrack_staged"))
            cursor.execute("DROP TABLE aidtrack_staged")
        return
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, sql, rows, template=template, page_size=page_size)


def _needs_prep(field) -> bool:
    return isinstance(field, GeometryField | JSONField)


def _prep(field, value):
    return field.get_db_prep_save(value, connection)


def copy_rows(model, fields: list[str], rows) -> int:
    """Insert many rows with PostgreSQL COPY: no model instances, no per-row SQL. Returns the count.

    Values are plain Python values, dicts and lists for JSON, lists of strings for a text array,
    and EWKT text for a geometry (`point_ewkt`), which PostGIS reads as it reads its own output."""
    opts = model._meta
    model_fields = [opts.get_field(name) for name in fields]
    json_columns = [index for index, field in enumerate(model_fields) if isinstance(field, JSONField)]
    array_columns = [index for index, field in enumerate(model_fields) if isinstance(field, ArrayField)]
    if array_columns:
        rows = (_with_arrays(row, array_columns) for row in rows)
    nullable = [field.column for field in model_fields if field.null]
    with connection.cursor() as cursor:
        return _copy(cursor, opts.db_table, [f.column for f in model_fields], rows, json_columns, nullable)


def point_ewkt(longitude: float, latitude: float, srid: int = 4326) -> str:
    """A point as EWKT, without building a GEOS geometry (2.4 s for 100,000 of them)."""
    return f"SRID={srid};POINT({longitude!r} {latitude!r})"


def _with_arrays(row, array_columns: list[int]) -> list:
    row = list(row)
    for index in array_columns:
        row[index] = _array_literal(row[index])
    return row


def _array_literal(values) -> str:
    """A text array in PostgreSQL's input syntax, every element quoted (so commas, braces, spaces and
    NULL-like words stay text)."""
    quoted = ('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"


def reserve_ids(model, count: int) -> list[int]:
    """`count` primary keys from the model's sequence, for rows COPY is about to write (COPY returns
    no ids, and the rows that point at them are written next)."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def insert_new(model, rows: list[dict]) -> list[int]:
    """Insert rows given as {field name (not column): value}, only what differs from the defaults, with COPY: ids
    reserved first and returned in order, every other field at its default. A value is as
    `copy_rows` takes it (a geometry as EWKT, `point_ewkt`)."""
    fields = [field.name for field in model._meta.concrete_fields]
    defaults = {field.name: field.get_default() for field in model._meta.concrete_fields}
    unknown = {name for row in rows[:1] for name in row} - defaults.keys()
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    ids = reserve_ids(model, len(rows))
    copy_rows(
        model,
        fields,
        ([(defaults | row | {"id": pk})[name] for name in fields] for row, pk in zip(rows, ids, strict=True)),
    )
    return ids


class _Lines(io.TextIOBase):
    """CSV lines produced while COPY reads them, so PostgreSQL stores rows as Python formats the next ones.

    Every value is quoted (the csv module, in C); COPY's FORCE_NULL turns the empty quoted value of
    a nullable column back into NULL, while NOT NULL text columns keep their empty strings.
    """

    BATCH = 1000

    def __init__(self, rows, json_columns: list[int]):
        self.rows, self.json_columns, self.count, self.pending = iter(rows), json_columns, 0, ""
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")

    def readable(self) -> bool:
        return True

    def _encode_json(self, row) -> list:
        row = list(row)
        for index in self.json_columns:
            if row[index] is not None:
                row[index] = orjson.dumps(row[index]).decode()
        return row

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self.pending) < size:
            batch = list(itertools.islice(self.rows, self.BATCH))
            if not batch:
                break
            self.writer.writerows(map(self._encode_json, batch) if self.json_columns else batch)
            self.count += len(batch)
            self.pending += self.buffer.getvalue()
            self.buffer.seek(0)
            self.buffer.truncate()
        if size < 0:
            text, self.pending = self.pending, ""
            return text
        text, self.pending = self.pending[:size], self.pending[size:]
        return text


def _copy(cursor, table: str, columns: list[str], rows, json_columns=(), nullable=()) -> int:
    """COPY `rows` into `columns`; values at `json_columns` are encoded as JSON, and an empty value
    in a `nullable` column is NULL."""
    lines = _Lines(rows, list(json_columns))
    names = ", ".join(f'"{column}"' for column in columns)
    null = ", ".join(f'"{column}"' for column in nullable)
    options = f"FORMAT csv, FORCE_NULL ({null})" if nullable else "FORMAT csv"
    cursor.cursor.copy_expert(f'COPY "{table}" ({names}) FROM STDIN WITH ({options})', lines, size=256 * 1024)
    return lines.count
