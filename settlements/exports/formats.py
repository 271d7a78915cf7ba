"""Exports of exactly the filtered rows a table shows: CSV, XLSX, GeoJSON and HXL.

CSV, HXL and GeoJSON stream from a server-side cursor; XLSX goes through openpyxl's write-only
workbook, which keeps rows in a temporary file. Neither holds the rows in memory. A spreadsheet of
more than EXPORT_BACKGROUND_ROWS rows is built by a worker instead (services.py). Text that a
spreadsheet would run as a formula (starting with = + - @, tab or carriage return) is written
with a leading apostrophe, so it shows as the text it is.
"""

import csv
import datetime
import json
import re
import tempfile
import threading
from decimal import Decimal

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import Workbook

from settlements.tables import Table

FORMATS = ("csv", "xlsx", "geojson", "hxl")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """A text cell a spreadsheet would evaluate, made plain text; every other value as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def headers(table: Table) -> list[str]:
    """The columns' human names in the interface language; the HXL row below them never changes."""
    return [str(column.label) for column in table.columns]


def cell(shows, row: dict):
    """One exported cell: `shows` is the column's Column.shows()."""
    value = shows(row)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, Decimal):  # 700.00 -> 700, 2.50 -> 2.5; never 7E+2
        return int(value) if value == value.to_integral_value() else value.normalize()
    if isinstance(value, float):
        return round(value, 6)
    return neutralise(value)


def iterate(rows):
    """A queryset's rows from a server-side cursor; rows already built (a list) as they are."""
    return rows.iterator(chunk_size=CHUNK_ROWS) if hasattr(rows, "iterator") else iter(rows)


class _Line:
    """csv.writer target that hands back the line it was given."""

    def write(self, text):
        return text


def csv_lines(table: Table, rows, *, hxl: bool = False, bom: bool = False):
    """CSV (or HXL) text, streamed. Headers and labels are resolved here, in the request's language,
    before the rows stream."""
    head = [headers(table), *([[column.hxl for column in table.columns]] if hxl else [])]
    columns = [column.shows() for column in table.columns]

    def lines():
        writer = csv.writer(_Line())
        if bom:
            yield "\ufeff"
        for line in head:
            yield writer.writerow(line)
        for row in iterate(rows):
            yield writer.writerow([cell(shows, row) for shows in columns])

    return lines()


def geojson_chunks(table: Table, rows):
    """A GeoJSON FeatureCollection, streamed; labels resolved before the rows stream."""
    properties_of = [(column.key, column.shows()) for column in table.columns if column.key not in ("lat", "lon")]

    def chunks():
        yield '{"type":"FeatureCollection","features":['
        for index, row in enumerate(iterate(rows)):
            geometry = None
            if row["lon"] is not None:
                geometry = {"type": "Point", "coordinates": [round(row["lon"], 6), round(row["lat"], 6)]}
            properties = {key: plain(shows(row)) for key, shows in properties_of}
            feature = {"type": "Feature", "id": row["pk"], "geometry": geometry, "properties": properties}
            yield ("," if index else "") + json.dumps(feature, ensure_ascii=False)
        yield "]}"

    return chunks()


def plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def xlsx_file(table: Table, rows, progress=None):
    """The rows as a workbook in a temporary file, in constant memory: openpyxl's write-only mode
    writes each row out as it comes. `progress(rows_written)` is called every CHUNK_ROWS rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(table.title)[:31])
    sheet.append(headers(table))
    columns = [column.shows() for column in table.columns]
    for written, row in enumerate(iterate(rows), start=1):
        sheet.append([cell(shows, row) for shows in columns])
        if progress is not None and written % CHUNK_ROWS == 0:
            progress(written)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it when sent)
    workbook.save(handle)
    handle.seek(0)
    return handle


def file_name(table: Table, parameters: dict[str, str], extension: str) -> str:
    """aidtrack-requests-2026-11-23-governorate-SY07-category-food.csv"""
    parts = ["aidtrack", table.name, timezone.localdate().isoformat()]
    for key, value in sorted(parameters.items()):
        if key in ("export", "bom", "page") or not value:
            continue
        parts += [key, value]
    stem = re.sub(r"[^\w.-]+", "_", "-".join(parts), flags=re.ASCII).strip("_")[:150]
    return f"{stem}.{extension}"


# A bulkhead: streaming an export keeps a thread busy with Python work the whole time, and threads
# of one process share one interpreter lock. At most EXPORT_STREAMS_PER_PROCESS streams run in each
# web process at once; more wait their turn (holding only their connection), so the process's
# other threads (/healthz, the map, the tables) keep getting the lock.
_STREAMS = threading.BoundedSemaphore(settings.EXPORT_STREAMS_PER_PROCESS)


def _in_turn(chunks):
    with _STREAMS:
        yield from chunks


def csv_chunks(table: Table, rows, *, hxl: bool, bom: bool):
    """A table's rows from the database as CSV (or HXL) written by PostgreSQL; rows already built
    (a list, as the presence page's are) written here."""
    if hasattr(rows, "query"):
        from settlements.exports import copying

        return copying.csv_chunks(table, rows, hxl=hxl, bom=bom)
    return csv_lines(table, rows, hxl=hxl, bom=bom)


def encoded(chunks):
    for chunk in chunks:
        yield chunk.encode() if isinstance(chunk, str) else chunk


def export_response(table: Table, rows, export: str, parameters: dict[str, str]):
    if export == "xlsx":
        return FileResponse(
            xlsx_file(table, rows), as_attachment=True, filename=file_name(table, parameters, "xlsx"), content_type=XLSX
        )
    if export == "geojson":
        body, content_type, extension = geojson_chunks(table, rows), "application/geo+json", "geojson"
    else:
        bom = parameters.get("bom") in ("1", "true", "yes")
        body = csv_chunks(table, rows, hxl=export == "hxl", bom=bom)
        content_type, extension = "text/csv; charset=utf-8", "csv"
        if export == "hxl":
            extension = "hxl.csv"
    response = StreamingHttpResponse(_in_turn(encoded(body)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name(table, parameters, extension)}"'
    return response
