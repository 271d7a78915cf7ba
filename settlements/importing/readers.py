"""Turn a daily list's bytes into a table: headers and rows of cells, whatever the format.

Readers only read. They know nothing of settlements; `columns.py` decides what the headers mean.
Anything that is not a readable table raises `ListFormatError` with a message for the person
who sent the file.

Every list is treated as hostile in size as well as content. What a file *declares* (a sheet's
dimension, a Word cell's span, a JSON list's keys) is checked against the caps in settings before
any work is done for it, and cells are read as a stream, so a small file claiming a huge table
fails in seconds. Each row keeps its physical number in the source (the CSV line with the header
as 1, the sheet row, the Word table row, the JSON index + 1): blank rows are skipped, never
renumbered. A row the reader cannot take apart (an overlong line or field) is kept as a problem
of that row alone.
"""

import csv
import datetime
import functools
import io
import itertools
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import puremagic
from django.conf import settings

from settlements.importing.columns import MAX_CELL, clean_text, looks_like_header

HXL_TAG = re.compile(r"^\s*#[a-z][a-z0-9_]*(\s*\+\s*[a-z][a-z0-9_]*)*\s*$", re.IGNORECASE)
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DOTTED_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
MAX_UNZIPPED_RATIO = 100  # a real spreadsheet compresses 5-20x; a zip bomb compresses thousands of times
SNIFF_LINES, SNIFF_CHARS = 20, 65_536  # the delimiter is guessed from this much of the file
HEADER_SEARCH_ROWS = 10  # a spreadsheet's or Word table's header is within its first rows
BINARY_PROBE = 8192
# Bytes no text list has in its first few kilobytes (tab, line breaks and ESC aside).
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f]")


class ListFormatError(ValueError):
    """The content is not a list AidTrack can read; the message says why."""


@dataclass(frozen=True)
class Layout:
    """What the header row of one kind of upload looks like, for the readers that must find it
    among a sheet's or document's first rows: a test of a row's cells, and what it names (for the
    message when no row passes)."""

    is_header: Callable[[list[str]], bool]
    names: str


DAILY_LIST = Layout(looks_like_header, "settlements (a P-code or name column)")
# For the preview of a list whose headers nobody has mapped yet: the first row of two or more cells.
ANY_HEADER = Layout(lambda cells: sum(1 for c in cells if c) >= 2, "two or more columns")


def list_layout(chosen: dict | None) -> Layout:
    """The header row of a source's lists: one the vocabulary or the source's saved mapping reads."""
    if not chosen:
        return DAILY_LIST
    return Layout(functools.partial(looks_like_header, chosen=chosen), DAILY_LIST.names)


@dataclass
class Table:
    format: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # each row's physical number in the source
    problems: dict[int, str] = field(default_factory=dict)  # row number -> why the reader could not read it
    hxl_tags: list[str] | None = None
    list_date: datetime.date | None = None
    decimal_comma: bool = False

    def add(self, number: int, cells: list, problem: str = "") -> None:
        if len(self.rows) >= settings.IMPORT_MAX_ROWS:
            raise too_many_rows()
        self.rows.append(cells)
        self.numbers.append(number)
        if problem:
            self.problems[number] = problem

    def numbered_rows(self):
        """(physical row number, cells, problem) for each data row."""
        problems = self.problems
        for number, cells in zip(self.numbers, self.rows, strict=True):
            yield number, cells, problems.get(number, "") if problems else ""


def too_many_rows() -> ListFormatError:
    return ListFormatError(
        f"The list has more than {settings.IMPORT_MAX_ROWS:,} rows (IMPORT_MAX_ROWS); split it, or raise the limit."
    )


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
        raise ListFormatError(
            "This file is not a table of settlements: it looks like a ZIP archive, but neither an Excel workbook "
            "nor a Word document."
        )
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ListFormatError("Old binary Excel/Word files (.xls, .doc) are not supported: save it as XLSX or DOCX.")
    kind = _binary_kind(content)
    if kind:
        raise ListFormatError(f"This file is not a table of settlements: it looks like {kind}.")
    stripped = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{") or lower.endswith(".json"):
        return "json"
    return "csv"


def _binary_kind(content: bytes) -> str:
    """What a file that is not text looks like ('' for text): PDF, image, archive, program, ..."""
    head = content[:BINARY_PROBE]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text: every other byte is zero
        return ""
    # A stray control byte or NUL in a cell is a bad cell, not a binary file: only many of them are.
    if not head.startswith(b"%PDF") and len(BINARY_BYTES.findall(head)) <= max(8, len(head) // 20):
        return ""
    try:
        found = puremagic.magic_string(head)
    except puremagic.PureError:
        found = []
    if found:
        kind, name = found[0].extension.lstrip(".").upper(), found[0].name
        return f"{kind} ({name}), not text" if kind else f"{name}, not text"
    return "binary data, not text"


def read_table(content: bytes, name: str = "", layout: Layout = DAILY_LIST) -> Table:
    """The table in a daily list, or in another upload whose header row `layout` describes."""
    if not content.strip():
        raise ListFormatError("The file is empty.")
    kind = detect_format(content, name)
    if kind in ("docx", "xlsx"):
        table = {"docx": read_docx, "xlsx": read_xlsx}[kind](content, layout)
    else:
        table = {"json": read_json, "csv": read_csv}[kind](content)
    if table.list_date is None:
        table.list_date = date_in(name)
    return table


def _check_width(headers: list, what: str) -> None:
    if len(headers) > settings.IMPORT_MAX_COLUMNS:
        raise ListFormatError(
            f"The {what} has {len(headers):,} columns; AidTrack reads at most {settings.IMPORT_MAX_COLUMNS:,} "
            f"(IMPORT_MAX_COLUMNS)."
        )


def _clean_headers(headers) -> list[str]:
    return [clean_text("" if h is None else str(h)).strip()[:MAX_CELL] for h in headers]


# --- CSV and HXL ---------------------------------------------------------------------------


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or the Windows code page of Russian or Arabic lists.

    A few bytes that do not decode (a damaged cell, a truncated UTF-16 file) become U+FFFD, so the
    rows holding them fail alone; a file of mostly undecodable bytes is read as a code page instead.
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16", errors="replace")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    as_utf8 = content.decode("utf-8-sig", errors="replace")
    damaged = as_utf8.count("\ufffd")
    decoded = sum(1 for ch in as_utf8 if ch > "\x7f") - damaged
    if decoded > damaged:  # real UTF-8 with a few broken bytes
        return as_utf8
    # Neither code page fails to decode, so count the letters each one makes of the bytes.
    candidates = {enc: content.decode(enc, errors="replace") for enc in ("cp1251", "cp1256")}
    cyrillic = len(re.findall(r"[\u0400-\u04FF]", candidates["cp1251"]))
    arabic = len(re.findall(r"[\u0600-\u06FF]", candidates["cp1256"]))
    return candidates["cp1251"] if cyrillic >= arabic else candidates["cp1256"]


def _sniff_delimiter(text: str) -> str:
    """The separator, guessed from the first lines within the first 64 KB (a line cut off there is left out)."""
    prefix = io.StringIO(text[:SNIFF_CHARS], newline=None)
    lines = itertools.islice(prefix, SNIFF_LINES)
    sample = "".join(line for line in lines if line.endswith("\n") or len(text) <= SNIFF_CHARS)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _bounded_lines(text: str, overlong: set[int]):
    """The text's physical lines; a line over IMPORT_MAX_LINE_CHARS is replaced by an empty one and noted."""
    limit = settings.IMPORT_MAX_LINE_CHARS
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > limit:
            overlong.add(number)
            yield "\n"
        else:
            yield line


def read_csv(content: bytes) -> Table:
    text = decode_text(content)
    delimiter = _sniff_delimiter(text)
    table, tags_next = None, False
    for start, cells, problem in _csv_records(text, delimiter):
        if table is None:
            if problem:
                raise ListFormatError(f"The header (line {start}) cannot be read: {problem}.")
            _check_width(cells, "header")
            table = Table(format="csv", headers=_clean_headers(cells), decimal_comma=delimiter == ";")
            tags_next = True
            if _is_hxl_row(cells):  # a hashtag row with no human headers above it
                table.format, table.hxl_tags, tags_next = "hxl", table.headers, False
        elif tags_next and not problem and _is_hxl_row(cells):
            table.format, table.hxl_tags, tags_next = "hxl", [cell.strip() for cell in cells], False
        else:
            tags_next = False
            table.add(start, cells, problem)
    if table is None:
        raise ListFormatError("The file has no rows.")
    return table


def _csv_records(text: str, delimiter: str):
    """(first physical line, cells, problem) of each record that is not blank."""
    limit = settings.IMPORT_MAX_LINE_CHARS
    # No field limit of the csv module's own (it would fail the rest of a quoted cell's lines as
    # rows): the file's size bounds a cell, and the row parser refuses or cuts one past MAX_CELL.
    csv.field_size_limit(max(settings.IMPORT_MAX_BYTES, limit))
    if max(map(len, text.split("\n"))) <= limit:
        # Most lists: no overlong line, so the csv module reads the text itself, at C speed; each
        # record's first line is the one after the line the record before it ended on.
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        records = 2 * settings.IMPORT_MAX_ROWS + 2  # blank lines are records too; the rest is never read
        try:
            ends = [(cells, reader.line_num) for cells in itertools.islice(reader, records)]
            if len(ends) == records and next(reader, None) is not None:
                raise too_many_rows()
        except csv.Error:
            ends = None
        if ends is not None:
            last_line = 0
            for cells, end in ends:
                start, last_line = last_line + 1, end
                if "".join(cells).strip():  # a blank line is skipped, and renumbers nothing
                    yield start, cells, ""
            return
    yield from _careful_csv_records(text, delimiter, limit)


def _careful_csv_records(text: str, delimiter: str, limit: int):
    """The same records, one at a time: an overlong line or a record the csv module refuses is one bad row."""
    overlong: set[int] = set()
    reader = csv.reader(_bounded_lines(text, overlong), delimiter=delimiter)
    last_line = 0
    while True:
        start = last_line + 1
        try:
            cells, problem = next(reader), ""
        except StopIteration:
            return
        except csv.Error as exc:
            cells, problem = [], f"the row cannot be read as CSV: {exc}"
        last_line = reader.line_num
        if overlong and overlong.intersection(range(start, last_line + 1)):
            cells, problem = [], f"the line is longer than {limit:,} characters"
        if problem or "".join(cells).strip():
            yield start, cells, problem


def _is_hxl_row(row: list[str]) -> bool:
    cells = [c for c in row if c.strip()]
    return bool(cells) and sum(bool(HXL_TAG.match(c)) for c in cells) >= max(2, len(cells) // 2)


# --- JSON ----------------------------------------------------------------------------------


def read_json(content: bytes) -> Table:
    try:
        data = json.loads(decode_text(content))
    except json.JSONDecodeError as exc:
        raise ListFormatError(f"The JSON cannot be read: {exc.msg} at line {exc.lineno}.") from None
    except RecursionError:
        raise ListFormatError("The JSON is nested too deeply to be a list of settlements.") from None
    list_date = None
    if isinstance(data, dict):
        list_date = date_in(str(data.get("date", "")))
        lists = [value for value in data.values() if isinstance(value, list) and value and isinstance(value[0], dict)]
        if len(lists) != 1:
            raise ListFormatError("The JSON object is not a list of settlements: it should hold exactly one.")
        data = lists[0]
    if not isinstance(data, list) or not data or not any(isinstance(item, dict) for item in data):
        raise ListFormatError("The JSON is not a list of settlements (objects with named fields).")
    if len(data) > settings.IMPORT_MAX_ROWS:
        raise ListFormatError(
            f"The list has {len(data):,} rows; AidTrack reads at most {settings.IMPORT_MAX_ROWS:,} (IMPORT_MAX_ROWS)."
        )
    keys = _json_keys(data)
    headers = list(keys)
    table = Table(format="json", headers=_clean_headers(headers), list_date=list_date)
    for index, item in enumerate(data, start=1):
        if isinstance(item, dict):
            table.add(index, [_json_cell(item.get(h)) for h in headers])
        else:
            table.add(index, [], "is not an object with named fields")
    return table


def _json_keys(data: list) -> list[str]:
    """Every key of the list's objects, in order of first use; refused past IMPORT_MAX_COLUMNS
    before a table that wide is built (rows that each bring new keys)."""
    keys: dict[str, None] = {}
    for item in data:
        if isinstance(item, dict):
            keys.update(dict.fromkeys(item))
            if len(keys) > settings.IMPORT_MAX_COLUMNS:
                raise ListFormatError(
                    f"The list's objects bring more than {settings.IMPORT_MAX_COLUMNS:,} different keys "
                    f"(IMPORT_MAX_COLUMNS): it is not a table of settlements."
                )
    return list(keys)


def _json_cell(value):
    """A cell holding an object or a list is kept as its JSON text, cut to what a cell may hold."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[: MAX_CELL + 1]
    return value


# --- XLSX and DOCX -------------------------------------------------------------------------


def _check_zip(content: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    if unzipped > max(len(content) * MAX_UNZIPPED_RATIO, 10_000_000):
        raise ListFormatError(
            f"The file unpacks to {unzipped:,} bytes from {len(content):,}: refused as a possible zip bomb."
        )


def _check_declared_size(sheet) -> None:
    """A sheet's own claim of its size, refused before a cell is read when it is past the caps."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > settings.IMPORT_MAX_ROWS + HEADER_SEARCH_ROWS or columns > settings.IMPORT_MAX_COLUMNS:
        raise ListFormatError(
            f"The sheet {sheet.title!r} declares {rows:,} rows by {columns:,} columns; AidTrack reads at most "
            f"{settings.IMPORT_MAX_ROWS:,} rows (IMPORT_MAX_ROWS) and {settings.IMPORT_MAX_COLUMNS:,} columns "
            f"(IMPORT_MAX_COLUMNS)."
        )


def read_xlsx(content: bytes, layout: Layout = DAILY_LIST) -> Table:
    from openpyxl import load_workbook  # uses defusedxml when it is installed, as it is here

    _check_zip(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ListFormatError(f"The Excel workbook cannot be read: {exc}") from None
    try:
        for sheet in workbook.worksheets:
            _check_declared_size(sheet)
            sheet.reset_dimensions()  # from here on, only the cells that are there
            table = _read_sheet(sheet, layout)
            if table is not None:
                return table
    except ListFormatError:
        raise
    except Exception as exc:  # a damaged sheet part: openpyxl's XML parser and converters raise many types
        raise ListFormatError(f"The Excel workbook cannot be read: {exc}") from None
    finally:
        workbook.close()
    raise ListFormatError(f"No sheet in the workbook has a header naming {layout.names}.")


def _sheet_header(sheet, layout: Layout) -> tuple[int, list[str]] | None:
    """The row number and headers of the sheet's header row, within its first rows."""
    head = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=settings.IMPORT_MAX_COLUMNS + 1, values_only=True)
    for number, cells in enumerate(head, start=1):
        cells = list(cells)
        while cells and cells[-1] in (None, ""):
            cells.pop()
        _check_width(cells, f"header of sheet {sheet.title!r}")
        headers = _clean_headers(cells)
        if layout.is_header(headers):
            return number, headers
    return None


def _read_sheet(sheet, layout: Layout) -> Table | None:
    """The sheet's table, streamed: rows are never wider than the header plus one cell."""
    found = _sheet_header(sheet, layout)
    if found is None:
        return None
    header_row, headers = found
    table = Table(format="xlsx", headers=headers)
    width, last_allowed = len(headers), header_row + settings.IMPORT_MAX_ROWS
    body = sheet.iter_rows(min_row=header_row + 1, max_col=width + 1, values_only=True)
    for number, cells in enumerate(body, start=header_row + 1):
        if number > last_allowed:  # blank rows count too: a sheet may claim cells millions of rows down
            raise too_many_rows()
        if any(c not in (None, "") for c in cells):
            extra = cells[width] not in (None, "") if len(cells) > width else False
            table.add(number, list(cells), "has more cells than the header" if extra else "")
    return table


def read_docx(content: bytes, layout: Layout = DAILY_LIST) -> Table:
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
        rows = _word_rows(table)
        header = next(rows, None)
        if header is None or not layout.is_header(header[1]):
            continue
        _check_width(header[1], "Word table's header")
        result = Table(format="docx", headers=_clean_headers(header[1]), list_date=list_date)
        for number, cells in rows:
            if any(cells):
                result.add(number, cells)
        return result
    raise ListFormatError(f"The Word document has no table whose header names {layout.names}.")


def _word_rows(table):
    """(table row number, cell texts) of a Word table, one text per grid column.

    Read from the table's XML rather than python-docx's `row.cells`: that follows each vertically
    merged cell up the rows it continues, which a table of many merged rows turns into quadratic
    work. Spans are checked against IMPORT_MAX_COLUMNS before they are expanded.
    """
    from docx.table import _Cell

    widest, above = settings.IMPORT_MAX_COLUMNS, []
    for number, tr in enumerate(table._tbl.tr_lst, start=1):
        if number > settings.IMPORT_MAX_ROWS + HEADER_SEARCH_ROWS:
            raise too_many_rows()
        cells: list[str] = []
        for tc in tr.tc_lst:
            span = tc.grid_span
            if span < 1 or len(cells) + span > widest:
                raise ListFormatError(
                    f"Row {number} of the Word table spans more than {widest:,} columns (IMPORT_MAX_COLUMNS)."
                )
            if tc.vMerge == "continue" and len(cells) < len(above):
                text = above[len(cells)]  # the merged cell's text, as the row above has it
            else:
                text = _Cell(tc, table).text.strip()
            cells.extend([text] * span)
        above = cells
        yield number, cells


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
