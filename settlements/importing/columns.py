"""What a list's columns mean, in English, Russian and Arabic (or HXL), and how their cells parse."""

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from settlements.importing.vocabulary import header_terms, names_personal_data, term_key, value_terms
from settlements.models import PCODE_PATTERN, SYRIA_EXTENT

# HXL 1.1: the tag and the attributes a column must carry, per field. More specific first.
HXL_FIELDS = [
    ("#meta", {"row"}, "row_number"),
    ("#adm1", {"name"}, "governorate"),
    ("#adm2", {"name"}, "district"),
    ("#adm3", {"name"}, "sub_district"),
    ("#adm1", {"code"}, "governorate"),
    ("#adm2", {"code"}, "district"),
    ("#adm3", {"code"}, "sub_district"),
    ("#loc", {"name"}, "name"),
    ("#loc", {"code"}, "pcode"),
    ("#adm4", {"code"}, "pcode"),
    ("#adm4", {"name"}, "name"),
    ("#geo", {"lat"}, "latitude"),
    ("#geo", {"lon"}, "longitude"),
    ("#population", {"returnees"}, "returnees"),
    ("#population", set(), "population"),
    ("#indicator", {"houses_destroyed"}, "houses_destroyed"),
    ("#indicator", {"schools_destroyed"}, "schools_destroyed"),
    ("#indicator", {"hospitals_destroyed"}, "hospitals_destroyed"),
    ("#need", {"food"}, "food_t"),
    ("#need", {"medicine"}, "medicine_t"),
    ("#status", {"water"}, "water_supply"),
    ("#status", {"electricity"}, "electricity_supply"),
    ("#status", {"demining"}, "demining"),
    ("#status", {"mines"}, "demining"),
    ("#meta", {"notes"}, "notes"),
]
INTEGER_FIELDS = ["population", "returnees", "houses_destroyed", "schools_destroyed", "hospitals_destroyed"]
TONNE_FIELDS = ["food_t", "medicine_t"]
TEXT_FIELDS = ["governorate", "district", "sub_district", "name", "pcode", "notes"]
VOCABULARY_FIELDS = ["water_supply", "electricity_supply", "demining"]  # closed sets of values (values.csv)
MAX_CELL = 2000
# The columns' limits: counts are PostgreSQL integers, quantities have 10 digits before the point.
LARGEST_COUNT = 2_147_483_647
LARGEST_QUANTITY = 10**10
HUNDREDTHS = Decimal("0.01")
ARABIC_NUMERALS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")


def field_for_header(header) -> str | None:
    """The field a header names in any of the vocabulary's languages and forms, or None."""
    terms = header_terms()
    key = term_key(header)
    if key in terms:
        return terms[key]
    if names_personal_data(header):
        return None
    # Units and qualifiers after the meaning: "population estimate", "food need tonnes".
    words = key.split()
    for size in range(len(words) - 1, 0, -1):
        head = " ".join(words[:size])
        if terms.get(head) not in (None, "row_number"):
            return terms[head]
    return None


def field_for_hxl(tag: str) -> str | None:
    parts = [p.strip().lower() for p in tag.replace(" ", "").split("+")]
    hashtag, attributes = parts[0], set(parts[1:])
    for wanted_tag, wanted_attributes, name in HXL_FIELDS:
        if hashtag == wanted_tag and wanted_attributes <= attributes:
            return name
    return None


# Every field a list's column can fill, in the order staff see them when they map columns by hand.
IMPORT_FIELDS = {
    "name": _("settlement name"),
    "pcode": _("P-code"),
    "governorate": _("governorate"),
    "district": _("district"),
    "sub_district": _("sub-district"),
    "latitude": _("latitude"),
    "longitude": _("longitude"),
    "population": _("population"),
    "returnees": _("returnees"),
    "houses_destroyed": _("houses destroyed"),
    "schools_destroyed": _("schools destroyed"),
    "hospitals_destroyed": _("hospitals destroyed"),
    "food_t": _("food needed (tonnes)"),
    "medicine_t": _("medicines needed (tonnes)"),
    "water_supply": _("water supply"),
    "electricity_supply": _("electricity supply"),
    "demining": _("demining"),
    "notes": _("notes"),
    "row_number": _("row number"),
}
IGNORE = "ignore"  # a column mapped by hand to nothing


def map_columns(headers: list[str], hxl_tags: list[str] | None = None, chosen: dict | None = None) -> dict[int, str]:
    """Column index -> field, for the columns AidTrack understands. The first column of a meaning wins.

    `chosen` (header -> field or IGNORE, as staff mapped a source's columns) decides first; the
    vocabulary reads the other headers.
    """
    mapping: dict[int, str] = {}
    chosen = {header.strip(): name for header, name in (chosen or {}).items()}
    by_hand = set(chosen.values())
    for index, header in enumerate(headers):
        if header in chosen:
            name = chosen[header]
            if name in IMPORT_FIELDS and name not in mapping.values():
                mapping[index] = name
            continue
        tag = hxl_tags[index] if hxl_tags and index < len(hxl_tags) else ""
        name = (field_for_hxl(tag) if tag else None) or field_for_header(header)
        if name and name not in mapping.values() and name not in by_hand:
            mapping[index] = name
    return mapping


def check_mapping(chosen: dict) -> dict[str, str]:
    """A mapping as staff or an API client gave it: header -> a field or IGNORE, each field once."""
    if not isinstance(chosen, dict):
        raise ValueError("The mapping must be an object from column header to field name.")
    cleaned, used = {}, {}
    for header, name in chosen.items():
        if not isinstance(header, str) or not isinstance(name, str):
            raise ValueError("The mapping must be an object from column header to field name.")
        if name != IGNORE and name not in IMPORT_FIELDS:
            raise ValueError(f"{name!r} is not a field a list can fill (known: {', '.join(IMPORT_FIELDS)}, {IGNORE}).")
        if name != IGNORE and name in used:
            raise ValueError(f"The columns {used[name]!r} and {header!r} are both mapped to {name}.")
        used.setdefault(name, header)
        cleaned[header.strip()] = name
    return cleaned


def looks_like_header(cells: list[str], chosen: dict | None = None) -> bool:
    fields = set(map_columns([str(c or "") for c in cells], chosen=chosen).values())
    return bool(fields & {"name", "pcode"}) and len(fields) >= 2


def missing_required(mapping: dict[int, str], required: list[str]) -> list[str]:
    """The fields a source's validation profile requires that no column fills."""
    present = set(mapping.values())
    return [name for name in required if name not in present]


def missing_identity(mapping: dict[int, str]) -> str | None:
    if not set(mapping.values()) & {"name", "pcode"}:
        return "The list has no column that identifies a settlement: a P-code column or a settlement name column."
    return None


@dataclass(slots=True)
class ParsedRow:
    row: int  # the physical row in the source: CSV line, sheet row, Word table row, JSON index + 1
    raw: dict[str, object]
    values: dict[str, object] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class UnknownValue(ValueError):
    """A cell of a vocabulary column that no word of the vocabulary means: a warning, not an error."""


# Characters no list means: C0 controls but tab and line breaks, DEL, C1 controls.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Text that is not text: lone surrogates (a broken UTF-16 or JSON escape) and undecodable bytes.
BROKEN = re.compile(r"[\ud800-\udfff\ufffd]")
SUSPECT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
PCODE = re.compile(PCODE_PATTERN)


def clean_text(text: str) -> str:
    """A header or cell fit to store: control characters dropped, broken characters shown as U+FFFD."""
    if not SUSPECT.search(text):
        return text
    return BROKEN.sub("\ufffd", CONTROL.sub("", text))


def _clean_cells(texts: list[str], headers: list[str], parsed: "ParsedRow") -> list[str]:
    """One bad cell costs its row, never the list: broken text rejects the row, naming the column;
    control characters are dropped with a warning."""
    cleaned = []
    for index, text in enumerate(texts):
        if SUSPECT.search(text):
            header = headers[index] if index < len(headers) else f"column {index + 1}"
            if BROKEN.search(text):
                parsed.errors.append(f"{header}: the cell holds bytes or characters that are not valid text")
            else:
                parsed.warnings.append(f"{header}: control characters removed")
            text = clean_text(text).strip()
        cleaned.append(text)
    return cleaned


PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def _text(cell) -> str:
    if type(cell) is str:  # CSV, JSON strings, Word cells: the common case, first
        return cell.strip()
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _texts(cells: list) -> list[str]:
    try:
        return list(map(str.strip, cells))  # CSV, HXL and Word cells are all text
    except TypeError:  # a spreadsheet's or JSON's numbers and empty cells
        return [_text(c) for c in cells]


def parse_number(cell, *, decimal_comma: bool) -> Decimal | None:
    if type(cell) is str and PLAIN_NUMBER.fullmatch(cell):
        return Decimal(cell)
    if cell is None or isinstance(cell, bool):
        return None if cell is None else Decimal(int(cell))
    if isinstance(cell, int | float):
        return _finite(Decimal(str(cell)), cell)
    text = str(cell).translate(ARABIC_NUMERALS).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not text:
        return None
    if decimal_comma:
        text = text.replace(".", "").replace(",", ".") if "," in text else text
    elif THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    elif "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        return _finite(Decimal(text), cell)
    except InvalidOperation:
        raise ValueError(f"{cell!r} is not a number") from None


def _finite(number: Decimal, cell) -> Decimal:
    if not number.is_finite():  # NaN and Infinity read as numbers, but no figure means them
        raise ValueError(f"{cell!r} is not a number")
    return number


class RowParser:
    """Typed values of a list's rows, the reasons a row cannot be used, and what was not understood.

    Each mapped column's parser is chosen once for the list, not once per cell: a 100,000-row
    list has 600,000 cells to read. Columns in `dropped` (personal data) are left out of `raw`.
    """

    def __init__(self, headers: list[str], mapping: dict[int, str], *, decimal_comma: bool, dropped=frozenset()):
        self.headers, self.width = headers, len(headers)
        self.columns = [(index, headers[index], name, _parser(name, decimal_comma)) for index, name in mapping.items()]
        self.locates = "latitude" in mapping.values() or "longitude" in mapping.values()
        self.kept = [i for i in range(self.width) if i not in dropped] if dropped else None
        self.most_cells = max(self.width, settings.IMPORT_MAX_COLUMNS)

    def __call__(self, number: int, cells: list, problem: str = "") -> ParsedRow:
        width = self.width
        while len(cells) > width and cells[-1] in (None, ""):
            cells = cells[:-1]
        texts = _texts(cells if len(cells) <= self.most_cells else cells[: self.most_cells])
        parsed = ParsedRow(number, {})
        joined = "".join(texts)
        if SUSPECT.search(joined):
            texts = _clean_cells(texts, self.headers, parsed)
        stored = texts if len(joined) <= MAX_CELL else self._cut(texts, parsed)
        if problem or len(cells) != width:
            parsed.raw = {self.headers[i] if i < width else f"column {i + 1}": t for i, t in enumerate(stored)}
            parsed.errors.append(problem or f"has {len(cells):,} cells where the header has {width}")
            return parsed
        if self.kept is None:
            parsed.raw = dict(zip(self.headers, stored, strict=True))
        else:
            parsed.raw = {self.headers[i]: stored[i] for i in self.kept}
        self._read_values(parsed, cells, texts)
        if self.locates:
            _check_location(parsed)
        return parsed

    def _cut(self, texts: list[str], parsed: ParsedRow) -> list[str]:
        """The cells as stored: one past MAX_CELL is cut (a column AidTrack reads refuses the row below)."""
        mapped = {index for index, *_ in self.columns}
        stored = []
        for index, text in enumerate(texts):
            if len(text) > MAX_CELL:
                if index not in mapped:
                    header = self.headers[index] if index < self.width else f"column {index + 1}"
                    parsed.warnings.append(f"{header}: the cell was cut to {MAX_CELL:,} characters")
                text = text[:MAX_CELL] + "…"
            stored.append(text)
        return stored

    def _read_values(self, parsed: ParsedRow, cells: list, texts: list[str]) -> None:
        values = parsed.values
        for index, header, name, parse in self.columns:
            text = texts[index]
            if len(text) > MAX_CELL:
                parsed.errors.append(f"{header}: the cell is longer than {MAX_CELL} characters")
                continue
            if parse is None:  # a text column: the cell as read
                if text:
                    values[name] = text
                continue
            # The cell itself for numbers (a spreadsheet gives floats), else its text.
            cell = cells[index]
            try:
                value = parse(text if type(cell) is str else cell)
            except UnknownValue as exc:  # the field is left as it was; the row imports
                parsed.warnings.append(f"{header}: {exc}")
                continue
            except ValueError as exc:
                parsed.errors.append(f"{header}: {exc}")
                continue
            if value is not None and value != "":
                values[name] = value


def _parser(name: str, decimal_comma: bool):
    if name == "pcode":
        return _parse_pcode
    if name in TEXT_FIELDS or name == "row_number":
        return None
    if name in VOCABULARY_FIELDS:
        return functools.partial(_parse_term, name)
    if name in ("latitude", "longitude"):
        return lambda cell: _parse_coordinate(cell, decimal_comma)
    if name in INTEGER_FIELDS:
        return lambda cell: _parse_count(cell, decimal_comma)
    return lambda cell: _parse_quantity(cell, decimal_comma)


def _parse_pcode(cell) -> str | None:
    text = _text(cell).strip()
    if text and not PCODE.fullmatch(text):
        raise ValueError(f"{text!r} is not a P-code (letters, digits and hyphens only)")
    return text or None


def _parse_coordinate(cell, decimal_comma: bool) -> float | None:
    number = parse_number(cell, decimal_comma=decimal_comma)
    return None if number is None else float(number)


def _parse_count(cell, decimal_comma: bool) -> int | None:
    if type(cell) is str and cell.isascii() and cell.isdigit():  # the common case: plain digits
        number = int(cell)
    else:
        number = parse_number(cell, decimal_comma=decimal_comma)
        if number is None:
            return None
        if number < 0:
            raise ValueError(f"{_text(cell)} is negative")
        if number != number.to_integral_value():
            raise ValueError(f"{_text(cell)} is not a whole number")
    if number > LARGEST_COUNT:
        raise ValueError(f"{_text(cell)} is larger than {LARGEST_COUNT:,}")
    return int(number)


def _parse_quantity(cell, decimal_comma: bool) -> str | None:
    number = parse_number(cell, decimal_comma=decimal_comma)
    if number is None:
        return None
    if number < 0:
        raise ValueError(f"{_text(cell)} is negative")
    if number >= LARGEST_QUANTITY:
        raise ValueError(f"{_text(cell)} is larger than a quantity can be ({LARGEST_QUANTITY:,} or more)")
    return str(number.quantize(HUNDREDTHS))


def _parse_term(name: str, cell) -> str | None:
    text = _text(cell)
    if not text:
        return None
    terms = value_terms()[name]
    value = terms.get(term_key(text))
    if value is None:
        known = ", ".join(sorted(set(terms.values())))
        raise UnknownValue(f"{text!r} is not understood (known: {known}); the value was left as it was")
    return value


def _check_location(parsed: ParsedRow) -> None:
    lat, lon = parsed.values.get("latitude"), parsed.values.get("longitude")
    if (lat is None) != (lon is None):
        parsed.errors.append("gives only one of latitude and longitude")
        return
    if lat is None:
        return
    (lat_min, lat_max), (lon_min, lon_max) = SYRIA_EXTENT["lat"], SYRIA_EXTENT["lon"]
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        parsed.errors.append(f"the coordinates {lat}, {lon} are outside Syria")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """A text cell a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


# A cell of nine or more digits, perhaps with a leading + and spaces or hyphens: a phone or ID number.
PERSONAL_NUMBER = re.compile(r"\+?\d[\d \-()./]{7,}\d")
PERSONAL_SAMPLE = 50


def personal_columns(headers: list[str], rows: list[list], mapping: dict[int, str]) -> frozenset[int]:
    """Columns AidTrack does not use that hold personal data, to be left out of what is stored.

    A column is personal when its header names personal data in any language (`personal.csv`), or
    when most of its first cells are phone or ID numbers. Columns the import reads are never dropped.
    """
    dropped = set()
    sample = rows[:PERSONAL_SAMPLE]
    for index, header in enumerate(headers):
        if index in mapping:
            continue
        if names_personal_data(header):
            dropped.add(index)
            continue
        cells = [_text(r[index]) for r in sample if index < len(r) and r[index] not in (None, "")]
        numbers = sum(1 for c in cells if PERSONAL_NUMBER.fullmatch(c) and sum(ch.isdigit() for ch in c) >= 9)
        if cells and numbers * 2 > len(cells):
            dropped.add(index)
    return frozenset(dropped)
