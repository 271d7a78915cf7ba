"""What a list's columns mean, in English, Russian and Arabic (or HXL), and how their cells parse."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from settlements.models import SYRIA_EXTENT, Settlement

# Each field with the headers that mean it, already normalised (see `normalise_header`).
FIELD_HEADERS = {
    "row_number": ["no", "n", "nr", "number", "row", "№", "номер", "п п", "رقم", "الرقم", "م"],
    "governorate": ["governorate", "province", "adm1", "admin1", "governorate name", "провинция", "мухафаза", "محافظة"],
    "district": ["district", "adm2", "admin2", "district name", "район", "округ", "منطقة", "المنطقة"],
    "name": [
        "settlement",
        "settlement name",
        "name",
        "community",
        "village",
        "locality",
        "town",
        "place",
        "admin4 name",
        "населенный пункт",
        "пункт",
        "название",
        "поселение",
        "تجمع",
        "التجمع",
        "التجمع السكاني",
        "اسم التجمع",
        "البلدة",
        "القرية",
        "المدينة",
        "الموقع",
    ],
    "pcode": ["p code", "pcode", "admin4 pcode", "admin4 p code", "community pcode", "код", "p код", "الرمز", "رمز"],
    "latitude": ["latitude", "lat", "y", "широта", "خط العرض", "العرض"],
    "longitude": ["longitude", "lon", "lng", "long", "x", "долгота", "خط الطول", "الطول"],
    "population": ["population", "people", "inhabitants", "население", "численность", "السكان", "عدد السكان"],
    "returnees": ["returnees", "returned", "вернувшиеся", "вернулись", "العائدون", "عدد العائدين"],
    "houses_destroyed": ["houses destroyed", "destroyed houses", "разрушено домов", "المنازل المدمرة", "منازل مدمرة"],
    "schools_destroyed": ["schools destroyed", "destroyed schools", "разрушено школ", "المدارس المدمرة", "مدارس مدمرة"],
    "hospitals_destroyed": [
        "hospitals destroyed",
        "destroyed hospitals",
        "разрушено больниц",
        "المشافي المدمرة",
        "مشاف مدمرة",
    ],
    "food_t": ["food need", "food need t", "food", "food t", "продовольствие", "продовольствие т", "الغذاء", "غذاء"],
    "medicine_t": [
        "medicine need",
        "medicine need t",
        "medicine",
        "medicines",
        "медикаменты",
        "медикаменты т",
        "лекарства",
        "الأدوية",
        "ادوية",
        "الادوية",
    ],
    "water_supply": ["water supply", "water", "водоснабжение", "вода", "المياه", "امدادات المياه"],
    "notes": ["notes", "note", "comment", "comments", "remarks", "примечание", "примечания", "ملاحظات", "ملاحظة"],
}
# HXL 1.1: the tag and the attributes a column must carry, per field. More specific first.
HXL_FIELDS = [
    ("#meta", {"row"}, "row_number"),
    ("#adm1", {"name"}, "governorate"),
    ("#adm2", {"name"}, "district"),
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
    ("#meta", {"notes"}, "notes"),
]
INTEGER_FIELDS = ["population", "returnees", "houses_destroyed", "schools_destroyed", "hospitals_destroyed"]
TONNE_FIELDS = ["food_t", "medicine_t"]
TEXT_FIELDS = ["governorate", "district", "name", "pcode", "notes"]
WATER_VALUES = {
    Settlement.WaterSupply.NONE: {"none", "no", "нет", "отсутствует", "لا يوجد", "لا", "مقطوعة"},
    Settlement.WaterSupply.PARTIAL: {"partial", "partly", "частично", "частичное", "جزئي", "جزئية"},
    Settlement.WaterSupply.RESTORED: {"restored", "yes", "full", "восстановлено", "есть", "مستعادة", "متوفرة", "نعم"},
}
MAX_CELL = 2000
# The columns' limits: counts are PostgreSQL integers, quantities have 10 digits before the point.
LARGEST_COUNT = 2_147_483_647
LARGEST_QUANTITY = 10**10
HUNDREDTHS = Decimal("0.01")
ARABIC_NUMERALS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")
_HEADER_LOOKUP = {header: name for name, headers in FIELD_HEADERS.items() for header in headers}


def normalise_header(header) -> str:
    text = str(header or "").lower().replace("ё", "е").replace("_", " ")
    text = re.sub(r"[\u064B-\u0652\u0640]", "", text).replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    text = re.sub(r"\(([^)]*)\)", r" \1 ", text)  # "Food need (t)" -> "food need t"
    return " ".join(re.sub(r"[^\w№#]+", " ", text).split())


def field_for_header(header) -> str | None:
    key = normalise_header(header)
    if key in _HEADER_LOOKUP:
        return _HEADER_LOOKUP[key]
    # Units and qualifiers after the meaning: "population estimate", "food need tonnes".
    for size in range(len(key.split()) - 1, 0, -1):
        head = " ".join(key.split()[:size])
        if head in _HEADER_LOOKUP and _HEADER_LOOKUP[head] not in ("row_number",):
            return _HEADER_LOOKUP[head]
    return None


def field_for_hxl(tag: str) -> str | None:
    parts = [p.strip().lower() for p in tag.replace(" ", "").split("+")]
    hashtag, attributes = parts[0], set(parts[1:])
    for wanted_tag, wanted_attributes, name in HXL_FIELDS:
        if hashtag == wanted_tag and wanted_attributes <= attributes:
            return name
    return None


def map_columns(headers: list[str], hxl_tags: list[str] | None = None) -> dict[int, str]:
    """Column index -> field, for the columns AidTrack understands. The first column of a meaning wins."""
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        tag = hxl_tags[index] if hxl_tags and index < len(hxl_tags) else ""
        name = (field_for_hxl(tag) if tag else None) or field_for_header(header)
        if name and name not in mapping.values():
            mapping[index] = name
    return mapping


def looks_like_header(cells: list[str]) -> bool:
    fields = set(map_columns([str(c or "") for c in cells]).values())
    return bool(fields & {"name", "pcode"}) and len(fields) >= 2


def missing_identity(mapping: dict[int, str]) -> str | None:
    if not set(mapping.values()) & {"name", "pcode"}:
        return "The list has no column that identifies a settlement: a P-code column or a settlement name column."
    return None


@dataclass(slots=True)
class ParsedRow:
    row: int
    raw: dict[str, object]
    values: dict[str, object] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


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
    """Typed values of a list's rows, or the reasons a row cannot be used.

    Each mapped column's parser is chosen once for the list, not once per cell: a 100,000-row
    list has 600,000 cells to read.
    """

    def __init__(self, headers: list[str], mapping: dict[int, str], *, decimal_comma: bool):
        self.headers, self.width = headers, len(headers)
        self.columns = [(index, headers[index], name, _parser(name, decimal_comma)) for index, name in mapping.items()]
        self.locates = "latitude" in mapping.values() or "longitude" in mapping.values()

    def __call__(self, number: int, cells: list) -> ParsedRow:
        width = self.width
        while len(cells) > width and cells[-1] in (None, ""):
            cells = cells[:-1]
        texts = _texts(cells)
        if len(cells) != width:
            raw = {self.headers[i] if i < width else f"column {i + 1}": t for i, t in enumerate(texts)}
            return ParsedRow(number, raw, errors=[f"has {len(cells)} cells where the header has {width}"])
        parsed = ParsedRow(number, dict(zip(self.headers, texts, strict=True)))
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
            except ValueError as exc:
                parsed.errors.append(f"{header}: {exc}")
                continue
            if value is not None and value != "":
                values[name] = value
        if self.locates:
            _check_location(parsed)
        return parsed


def _parser(name: str, decimal_comma: bool):
    if name in TEXT_FIELDS or name == "row_number":
        return None
    if name == "water_supply":
        return _parse_water
    if name in ("latitude", "longitude"):
        return lambda cell: _parse_coordinate(cell, decimal_comma)
    if name in INTEGER_FIELDS:
        return lambda cell: _parse_count(cell, decimal_comma)
    return lambda cell: _parse_quantity(cell, decimal_comma)


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


def _parse_water(cell) -> str | None:
    text = _text(cell).lower()
    if not text:
        return None
    for value, words in WATER_VALUES.items():
        if text in words:
            return str(value)
    raise ValueError(f"{_text(cell)!r} is not a water supply state (none, partial or restored)")


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
