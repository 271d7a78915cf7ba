"""Turn a daily list's bytes into a table: headers and rows of cells, whatever the format.

Readers only read. They know nothing of settlements; `columns.py` decides what the headers mean.
Anything that is not a readable table raises `ListFormatError` with a message for the person
who sent the file.
"""

import csv
import datetime
import io
import itertools
import json
import re
import zipfile
from dataclasses import dataclass, field

from settlements.importing.columns import looks_like_header

HXL_TAG = re.compile(r"^\s*#[a-z][a-z0-9_]*(\s*\+\s*[a-z][a-z0-9_]*)*\s*$", re.IGNORECASE)
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DOTTED_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
MAX_UNZIPPED_RATIO = 100  # a real spreadsheet compresses 5-20x; a zip bomb compresses thousands of times


class ListFormatError(ValueError):
    """The content is not a list AidTrack can read; the message says why."""


@dataclass
class Table:
    format: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    hxl_tags: list[str] | None = None
    list_date: datetime.date | None = None
    decimal_comma: bool = False
    first_row: int = 1  # what the source calls its first data row (for messages)


def detect_format(content: bytes, name: str = "") -> str:
    lower = name.lower()
    if content[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise ListFormatError("The file looks like a zip archive (XLSX or DOCX) but cannot be opened.") from None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise ListFormatError("The file is a zip archive but neither an Excel workbook nor a Word document.")
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ListFormatError("Old binary Excel/Word files (.xls, .doc) are not supported: save it as XLSX or DOCX.")
    stripped = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{") or lower.endswith(".json"):
        return "json"
    return "csv"


def read_table(content: bytes, name: str = "") -> Table:
    if not content.strip():
        raise ListFormatError("The file is empty.")
    reader = {"docx": read_docx, "xlsx": read_xlsx, "json": read_json, "csv": read_csv}[detect_format(content, name)]
    table = reader(content)
    if table.list_date is None:
        table.list_date = date_in(name)
    return table


# --- CSV and HXL ---------------------------------------------------------------------------


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or the Windows code page of Russian or Arabic lists."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Neither code page fails to decode, so count the letters each one makes of the bytes.
    candidates = {enc: content.decode(enc, errors="replace") for enc in ("cp1251", "cp1256")}
    cyrillic = len(re.findall(r"[\u0400-\u04FF]", candidates["cp1251"]))
    arabic = len(re.findall(r"[\u0600-\u06FF]", candidates["cp1256"]))
    return candidates["cp1251"] if cyrillic >= arabic else candidates["cp1256"]


def read_csv(content: bytes) -> Table:
    text = decode_text(content)
    sample = "".join(itertools.islice(io.StringIO(text, newline=None), 20))  # the first 20 lines, however they end
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if "".join(row).strip()]
    if not rows:
        raise ListFormatError("The file has no rows.")
    table = Table(format="csv", headers=[h.strip() for h in rows[0]], rows=rows[1:], decimal_comma=delimiter == ";")
    if table.rows and _is_hxl_row(table.rows[0]):
        table.format = "hxl"
        table.hxl_tags = [cell.strip() for cell in table.rows[0]]
        table.rows = table.rows[1:]
    elif _is_hxl_row(rows[0]):  # a hashtag row with no human headers above it
        table.format = "hxl"
        table.hxl_tags = table.headers
    return table


def _is_hxl_row(row: list[str]) -> bool:
    cells = [c for c in row if c.strip()]
    return bool(cells) and sum(bool(HXL_TAG.match(c)) for c in cells) >= max(2, len(cells) // 2)


# --- JSON ----------------------------------------------------------------------------------


def read_json(content: bytes) -> Table:
    try:
        data = json.loads(decode_text(content))
    except json.JSONDecodeError as exc:
        raise ListFormatError(f"The JSON cannot be read: {exc.msg} at line {exc.lineno}.") from None
    list_date = None
    if isinstance(data, dict):
        list_date = date_in(str(data.get("date", "")))
        lists = [value for value in data.values() if isinstance(value, list) and value and isinstance(value[0], dict)]
        if len(lists) != 1:
            raise ListFormatError("The JSON object is not a list of settlements: it should hold exactly one.")
        data = lists[0]
    if not isinstance(data, list) or not data or not all(isinstance(item, dict) for item in data):
        raise ListFormatError("The JSON is not a list of settlements (objects with named fields).")
    headers = list(dict.fromkeys(key for item in data for key in item))
    rows = [[item.get(h) for h in headers] for item in data]
    return Table(format="json", headers=headers, rows=rows, list_date=list_date)


# --- XLSX and DOCX -------------------------------------------------------------------------


def _check_zip(content: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    if unzipped > max(len(content) * MAX_UNZIPPED_RATIO, 10_000_000):
        raise ListFormatError(
            f"The file unpacks to {unzipped:,} bytes from {len(content):,}: refused as a possible zip bomb."
        )


def read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook  # uses defusedxml when it is installed, as it is here

    _check_zip(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ListFormatError(f"The Excel workbook cannot be read: {exc}") from None
    try:
        for sheet in workbook.worksheets:
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            for i, row in enumerate(rows[:10]):
                headers = ["" if c is None else str(c).strip() for c in row]
                if looks_like_header(headers):
                    body = [r for r in rows[i + 1 :] if any(c not in (None, "") for c in r)]
                    return Table(format="xlsx", headers=headers, rows=body)
    finally:
        workbook.close()
    raise ListFormatError("No sheet in the workbook has a header naming settlements (a P-code or name column).")


def read_docx(content: bytes) -> Table:
    import docx

    _check_zip(content)
    try:
        document = docx.Document(io.BytesIO(content))
    except Exception as exc:  # python-docx raises several types for a damaged document
        raise ListFormatError(f"The Word document cannot be read: {exc}") from None
    list_date = None
    for paragraph in document.paragraphs[:10]:
        list_date = list_date or date_in(paragraph.text)
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        if rows and looks_like_header(rows[0]):
            body = [r for r in rows[1:] if any(r)]
            return Table(format="docx", headers=rows[0], rows=body, list_date=list_date)
    raise ListFormatError("The Word document has no table whose header names settlements.")


# --- dates ---------------------------------------------------------------------------------


def date_in(text: str) -> datetime.date | None:
    """The first ISO (2017-09-11) or dotted (11.09.2017) date in a text."""
    for pattern, order in ((ISO_DATE, (0, 1, 2)), (DOTTED_DATE, (2, 1, 0))):
        found = pattern.search(text or "")
        if found:
            parts = found.groups()
            try:
                return datetime.date(int(parts[order[0]]), int(parts[order[1]]), int(parts[order[2]]))
            except ValueError:
                continue
    return None
