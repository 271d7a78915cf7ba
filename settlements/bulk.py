"""Fast bulk writes for the import, where Django's bulk_update (one CASE per field) is too slow."""

from django.db import connection
from psycopg2.extras import execute_values


def update_rows(model, fields: list[str], rows: list[tuple], *, page_size: int = 5000) -> None:
    """Set `fields` of many rows in one statement per page.

    Each row is (pk, value of each field...). Values are cast to each column's type.
    """
    if not rows:
        return
    opts = model._meta
    columns = [opts.get_field(name).column for name in fields]
    casts = [opts.pk.db_type(connection), *(opts.get_field(name).db_type(connection) for name in fields)]
    assignments = ", ".join(f'"{column}" = v."{column}"' for column in columns)
    names = ", ".join(f'"{column}"' for column in ["__pk", *columns])
    template = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    sql = (
        f'UPDATE "{opts.db_table}" AS t SET {assignments} '  # noqa: S608 (names come from the model, values are bound)
        f'FROM (VALUES %s) AS v({names}) WHERE t."{opts.pk.column}" = v."__pk"'
    )
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, sql, rows, template=template, page_size=page_size)
