"""A new gazetteer version from OCHA: a CSV or XLSX in the COD column layout, loaded by staff.

Columns (OCHA's names; any order, upper or lower case): `admin4_pcode`, `admin4_name_en`,
`admin4_name_ar`, `admin1_pcode`, `admin1_name_en`, `admin2_pcode`, `admin2_name_en`,
`admin3_pcode`, `admin3_name_en` (and the `_name_ar` of each level), `latitude`, `longitude`.
The file is read by the same reader as the daily lists, with the same caps.

Communities are added and updated by P-code, never deleted. A renamed community keeps its old
names as aliases, so lists that still use them match. Admin areas the file names that AidTrack
lacks are added under their parent (by P-code prefix). Figures, notes and list dates are never
touched. One transaction: a file with a bad row loads its good rows and says which row was bad;
a file that is not in this layout fails whole. A second load of the same file changes nothing.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.contrib.gis.geos import Point
from django.db import transaction

from settlements.bulk import insert_new, point_ewkt, update_rows
from settlements.caching import data_changed
from settlements.importing.readers import ListFormatError, read_table
from settlements.matching import name_keys
from settlements.models import SYRIA_EXTENT, AdminArea, Settlement, SettlementAlias
from settlements.tables import X, Y

REQUIRED = ["admin4_pcode", "admin4_name_en", "admin1_pcode", "latitude", "longitude"]
COMMUNITY_PCODE = re.compile(r"C\d{4,7}")
AREA_PCODE = {1: re.compile(r"SY\d{2}"), 2: re.compile(r"SY\d{4}"), 3: re.compile(r"SY\d{6}")}
FIELDS = ["name_en", "name_ar", "location", "governorate_id", "district_id", "sub_district_id", "name_keys"]


class GazetteerFileError(ValueError):
    """The file is not a gazetteer in OCHA's COD layout; the message says why."""


@dataclass
class UpdateResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    renamed: int = 0
    unchanged: int = 0
    areas_created: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.rows:,} rows", f"{self.created:,} communities added", f"{self.updated:,} updated"]
        parts += [f"{self.renamed:,} renamed (old names kept as aliases)", f"{self.unchanged:,} unchanged"]
        parts += [f"{self.areas_created:,} admin areas added", f"{len(self.errors):,} rows skipped"]
        if not (self.created or self.updated or self.areas_created):
            return f"Gazetteer file loaded: nothing changed ({', '.join(parts)})."
        return f"Gazetteer file loaded: {', '.join(parts)}."


def load_gazetteer_file(path: str | Path) -> UpdateResult:
    path = Path(path)
    try:
        table = read_table(path.read_bytes(), path.name)
    except ListFormatError as exc:
        raise GazetteerFileError(str(exc)) from None
    headers = [h.strip().lower() for h in table.headers]
    missing = [name for name in REQUIRED if name not in headers]
    if missing:
        raise GazetteerFileError(
            f"The file is not in OCHA's COD layout: it lacks {', '.join(missing)}. Columns found: "
            f"{', '.join(h for h in table.headers if h) or 'none'}."
        )
    result = UpdateResult()
    records = []
    for number, cells, problem in table.numbered_rows():
        result.rows += 1
        row = {h: _text(cells[i]) if i < len(cells) else "" for i, h in enumerate(headers)}
        error = problem or _problem(row)
        if error:
            result.errors.append(f"Row {number}: {error}")
        else:
            records.append(row)
    with transaction.atomic():
        area_ids = _ensure_areas(records, result)
        _apply(records, area_ids, result)
        if result.created or result.updated or result.areas_created:
            transaction.on_commit(data_changed)
    return result


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _problem(row: dict) -> str:
    if not COMMUNITY_PCODE.fullmatch(row["admin4_pcode"].upper()):
        return f"{row['admin4_pcode']!r} is not a community P-code (C followed by digits)"
    if not row["admin4_name_en"]:
        return "admin4_name_en is empty"
    for level in (1, 2, 3):
        code = row.get(f"admin{level}_pcode", "").upper()
        if (code or level == 1) and not AREA_PCODE[level].fullmatch(code):
            return f"admin{level}_pcode {code!r} is not a level-{level} P-code"
    try:
        lat, lon = float(row["latitude"].replace(",", ".")), float(row["longitude"].replace(",", "."))
    except ValueError:
        return "latitude and longitude must be numbers"
    (lat_min, lat_max), (lon_min, lon_max) = SYRIA_EXTENT["lat"], SYRIA_EXTENT["lon"]
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        return f"the coordinates {lat}, {lon} are outside Syria"
    row["point"] = (round(lon, 7), round(lat, 7))
    return ""


def _ensure_areas(records: list[dict], result: UpdateResult) -> dict[str, int]:
    """P-code -> id of every admin area the file names, adding those AidTrack lacks."""
    ids = dict(AdminArea.objects.values_list("pcode", "id"))
    for level in (1, 2, 3):
        for row in records:
            code = row.get(f"admin{level}_pcode", "").upper()
            if not code or code in ids:
                continue
            parent = ids.get(code[: 2 + 2 * (level - 1)]) if level > 1 else None
            area = AdminArea.objects.create(
                pcode=code,
                level=level,
                name_en=row.get(f"admin{level}_name_en") or code,
                name_ar=row.get(f"admin{level}_name_ar", ""),
                parent_id=parent,
            )
            ids[code] = area.pk
            result.areas_created += 1
    return ids


class _Stored(NamedTuple):
    """A community as AidTrack has it, in the terms the file is compared in (no model instance, no
    GEOS geometry: 100,000 of each cost seconds)."""

    pk: int
    name_en: str
    name_ar: str
    location: tuple[float, float] | None
    governorate_id: int | None
    district_id: int | None
    sub_district_id: int | None
    name_keys: list[str]


def _stored(pcodes: list[str]) -> dict[str, _Stored]:
    rows = (
        Settlement.objects.filter(pcode__in=pcodes)
        .annotate(lon=X("location"), lat=Y("location"))
        .values_list("pcode", "pk", "name_en", "name_ar", "lon", "lat", *FIELDS[3:6], "name_keys")
    )
    return {
        pcode: _Stored(pk, en, ar, None if lon is None else (lon, lat), governorate, district, sub_district, keys)
        for pcode, pk, en, ar, lon, lat, governorate, district, sub_district, keys in rows.iterator(chunk_size=10_000)
    }


def _same_place(stored: tuple[float, float] | None, wanted: tuple[float, float]) -> bool:
    """Points equal to 1e-7 degrees, as the shipped gazetteer's loader compares them."""
    return stored is not None and all(abs(a - b) <= 1e-7 for a, b in zip(stored, wanted, strict=True))


def _apply(records: list[dict], area_ids: dict[str, int], result: UpdateResult) -> None:
    """New communities are COPYed; changed ones updated in one statement; a name is turned into its
    matching keys only when it is new or changed."""
    existing = _stored([row["admin4_pcode"].upper() for row in records])
    new, changed, old_names = [], [], []
    for row in records:
        pcode = row["admin4_pcode"].upper()
        wanted = {
            "name_en": row["admin4_name_en"][:150],
            "name_ar": row.get("admin4_name_ar", "")[:150],
            "location": row["point"],
            "governorate_id": area_ids[row["admin1_pcode"].upper()],
            "district_id": area_ids.get(row.get("admin2_pcode", "").upper()),
            "sub_district_id": area_ids.get(row.get("admin3_pcode", "").upper()),
        }
        stored = existing.get(pcode)
        names = (wanted["name_en"], wanted["name_ar"])
        if stored is None or names != (stored.name_en, stored.name_ar):
            wanted["name_keys"] = sorted(name_keys(wanted["name_en"]) | name_keys(wanted["name_ar"]))
        else:
            wanted["name_keys"] = stored.name_keys
        if stored is None:
            new.append(
                {
                    "pcode": pcode,
                    **{name.removesuffix("_id"): wanted[name] for name in FIELDS},  # field names, not columns
                    "location": point_ewkt(*wanted["location"]),
                }
            )
            continue
        differs = [
            name
            for name in FIELDS
            if not (
                _same_place(stored.location, wanted[name])
                if name == "location"
                else getattr(stored, name) == wanted[name]
            )
        ]
        if not differs:
            result.unchanged += 1
            continue
        for language in ("en", "ar"):
            old = getattr(stored, f"name_{language}")
            if old and old != wanted[f"name_{language}"]:
                old_names.append((stored.pk, old, language))
        if {"name_en", "name_ar"} & set(differs):
            result.renamed += 1
        wanted["location"] = Point(*wanted["location"], srid=4326)
        changed.append((stored.pk, *(wanted[name] for name in FIELDS)))
    insert_new(Settlement, new)
    update_rows(Settlement, FIELDS, changed)
    _keep_old_names(old_names)
    result.created, result.updated = len(new), len(changed)


def _keep_old_names(old_names: list[tuple[int, str, str]]) -> None:
    known = set(
        SettlementAlias.objects.filter(settlement_id__in={i for i, _, _ in old_names}).values_list(
            "settlement_id", "name"
        )
    )
    SettlementAlias.objects.bulk_create(
        [
            SettlementAlias(
                settlement_id=settlement_id,
                name=name,
                language=language,
                source=SettlementAlias.Source.GAZETTEER,
                keys=sorted(name_keys(name)),
            )
            for settlement_id, name, language in old_names
            if (settlement_id, name) not in known
        ],
        batch_size=1000,
    )
