"""Load the shipped Syria gazetteer (admin areas and communities) into the database.

The gazetteer owns each settlement's P-code, names, point and place in the admin hierarchy;
everything the daily lists and staff add (figures, notes, list dates) is left alone. Loading
computes the wanted state from the files, compares it with the database and writes only the
difference, in one transaction, so a second run changes nothing.
"""

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import transaction

from settlements.bulk import update_rows
from settlements.caching import data_changed
from settlements.matching import name_keys
from settlements.models import AdminArea, Settlement, SettlementAlias

DATA_DIR = Path(__file__).resolve().parent / "data" / "gazetteer"
ADMIN_AREAS_CSV = "syr_admin1_3_pcodes.csv"
COMMUNITIES_CSV = "syr_admin4_communities_ocha2015.csv"
# Official outlines, simplified: file -> the property holding each feature's P-code.
BOUNDARY_FILES = {
    "syr_adm1_simplified_pcodes.geojson": "ADM1_PCODE",
    "syr_adm2_simplified_pcodes.geojson": "ADM2_PCODE",
}
# AidTrack's approximate outlines where no official one is available offline (manage.py draw_areas).
DRAWN_GEOJSON = "syr_adm2_adm3_drawn_aidtrack.geojson"
VARIANTS_CSV = "syr_place_name_variants.csv"
REPAIRS_CSV = "repairs.csv"

AREA_FIELDS = ["level", "name_en", "name_ar", "parent_id", "aliases", "centroid", "boundary", "boundary_is_approximate"]
SETTLEMENT_FIELDS = [
    "name_en",
    "name_ar",
    "location",
    "governorate_id",
    "district_id",
    "sub_district_id",
    "capital_level",
    "name_keys",
]


@dataclass
class LoadResult:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())

    def summary(self) -> str:
        if not self.changed:
            return "Gazetteer already up to date: nothing changed."
        parts = []
        for kind in ("admin areas", "settlements", "aliases"):
            if self.created[kind] or self.updated[kind]:
                parts.append(f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated")
        return "Gazetteer loaded. " + "; ".join(parts) + "."


def _read_csv(data_dir: Path, name: str) -> list[dict[str, str]]:
    with open(data_dir / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _split_aliases(raw: str) -> list[str]:
    return [part.strip() for part in raw.split("|") if part.strip()]


def _unique(names) -> list[str]:
    """Drop blanks and repeats, keeping the first spelling of each name."""
    seen, out = set(), []
    for name in names:
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
    return out


def _point(lat: str, lon: str) -> Point | None:
    if not lat or not lon:
        return None
    return Point(round(float(lon), 7), round(float(lat), 7), srid=4326)


def read_outlines(path: Path, pcode_property: str) -> dict[str, MultiPolygon]:
    """P-code -> outline of each feature of a GeoJSON file."""
    with open(path, encoding="utf-8") as f:
        collection = json.load(f)
    out = {}
    for feature in collection["features"]:
        geom = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
        out[feature["properties"][pcode_property]] = geom if geom.geom_type == "MultiPolygon" else MultiPolygon(geom)
    return out


def official_boundaries(data_dir: Path = DATA_DIR) -> dict[str, MultiPolygon]:
    """The official (OCHA) outlines shipped: governorates and the districts of 2015."""
    out = {}
    for name, pcode_property in BOUNDARY_FILES.items():
        out.update(read_outlines(data_dir / name, pcode_property))
    return out


def _boundaries(data_dir: Path) -> dict[str, tuple[MultiPolygon, bool]]:
    """P-code -> (outline, approximate): the official ones, then AidTrack's drawn ones over them."""
    out = {pcode: (outline, False) for pcode, outline in official_boundaries(data_dir).items()}
    if (data_dir / DRAWN_GEOJSON).exists():
        drawn = read_outlines(data_dir / DRAWN_GEOJSON, "pcode")
        out.update({pcode: (outline, True) for pcode, outline in drawn.items()})
    return out


def _variants(data_dir: Path) -> dict[str, list[tuple[str, str]]]:
    by_pcode = defaultdict(list)
    for row in _read_csv(data_dir, VARIANTS_CSV):
        if row["pcode"]:
            by_pcode[row["pcode"]].append((row["variant"].strip(), row["lang"].strip()))
    return by_pcode


def _repairs(data_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Arabic name repairs by settlement P-code, and renamed sub-district P-codes."""
    names, sub_districts = {}, {}
    for row in _read_csv(data_dir, REPAIRS_CSV):
        if row["kind"] == "arabic_name":
            names[row["pcode"]] = row["repaired"]
        elif row["kind"] == "sub_district":
            sub_districts[row["broken"]] = row["repaired"]
        else:
            raise ValueError(f"{REPAIRS_CSV}: unknown repair kind {row['kind']!r}")
    return names, sub_districts


def wanted_admin_areas(data_dir: Path = DATA_DIR) -> list[dict]:
    """Admin areas as the files describe them, parents before children."""
    boundaries = _boundaries(data_dir)
    variants = _variants(data_dir)
    rows = sorted(_read_csv(data_dir, ADMIN_AREAS_CSV), key=lambda r: (int(r["level"]), r["pcode"]))
    areas = []
    for row in rows:
        # OCHA 2015 names first (what lists and partners use); Open-Syria fills the areas created since.
        name_en = row["name_en_ocha2015"] or row["name_en_opensyria"]
        name_ar = row["name_ar_ocha2015"] or row["name_ar_opensyria"]
        aliases = [row["name_en_opensyria"], row["name_ar_opensyria"], *_split_aliases(row["aliases_opensyria"])]
        aliases += [variant for variant, _lang in variants.get(row["pcode"], [])]
        aliases = [a for a in _unique(aliases) if a not in (name_en, name_ar)]
        level = int(row["level"])
        boundary, approximate = boundaries.get(row["pcode"], (None, False))
        areas.append(
            {
                "pcode": row["pcode"],
                "level": level,
                "name_en": name_en,
                "name_ar": name_ar,
                "parent_pcode": row["parent_pcode"] if level > 1 else None,
                "aliases": aliases,
                "centroid": _point(row["centroid_lat"], row["centroid_lon"]),
                "boundary": boundary,
                "boundary_is_approximate": approximate,
            }
        )
    return areas


def wanted_settlements(data_dir: Path = DATA_DIR) -> list[dict]:
    arabic_repairs, sub_district_repairs = _repairs(data_dir)
    variants = _variants(data_dir)
    settlements = []
    for row in _read_csv(data_dir, COMMUNITIES_CSV):
        pcode = row["admin4_pcode"]
        sub_district = sub_district_repairs.get(row["admin3_pcode"], row["admin3_pcode"])
        name_en, name_ar = row["admin4_name_en"].strip(), row["admin4_name_ar"].strip()
        name_ar = arabic_repairs.get(pcode, name_ar)
        aliases = [(row["admin4_name_en_ref"].strip(), "en"), *variants.get(pcode, [])]
        settlements.append(
            {
                "pcode": pcode,
                "name_en": name_en,
                "name_ar": name_ar,
                "location": _point(row["latitude"], row["longitude"]),
                "governorate_pcode": row["admin1_pcode"],
                # A repaired sub-district moved district too: its parent is the truth.
                "district_pcode": sub_district[:6] if sub_district != row["admin3_pcode"] else row["admin2_pcode"],
                "sub_district_pcode": sub_district,
                "capital_level": int(row["capital_level"]) if row["capital_level"] else None,
                "aliases": [(n, lang) for n, lang in aliases if n and n not in (name_en, name_ar)],
            }
        )
    return settlements


def same(current, wanted) -> bool:
    """A stored value equals the wanted one (points and shapes to 1e-7 degrees)."""
    if isinstance(wanted, GEOSGeometry) or isinstance(current, GEOSGeometry):
        if current is None or wanted is None:
            return current is wanted
        return current.equals_exact(wanted, tolerance=1e-7)
    return current == wanted


def _sync(model, wanted: dict[str, dict], fields: list[str], result: LoadResult, kind: str) -> dict[str, int]:
    """Create and update rows keyed by P-code so they match `wanted`; returns P-code -> id."""
    existing = {obj.pcode: obj for obj in model.objects.filter(pcode__in=wanted.keys())}
    to_create, to_update = [], []
    for pcode, values in wanted.items():
        obj = existing.get(pcode)
        if obj is None:
            to_create.append(model(pcode=pcode, **values))
            continue
        changed = [name for name in fields if not same(getattr(obj, name), values[name])]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            to_update.append(obj)
    model.objects.bulk_create(to_create, batch_size=1000)
    update_rows(model, fields, [(obj.pk, *(getattr(obj, name) for name in fields)) for obj in to_update])
    result.created[kind] += len(to_create)
    result.updated[kind] += len(to_update)
    return dict(model.objects.filter(pcode__in=wanted.keys()).values_list("pcode", "id"))


def _load_admin_areas(result: LoadResult, data_dir: Path) -> dict[str, int]:
    ids: dict[str, int] = {}
    areas = wanted_admin_areas(data_dir)
    for level in AdminArea.Level.values:  # parents exist before their children point at them
        wanted = {
            a["pcode"]: {
                "level": level,
                "name_en": a["name_en"],
                "name_ar": a["name_ar"],
                "parent_id": ids[a["parent_pcode"]] if a["parent_pcode"] else None,
                "aliases": a["aliases"],
                "centroid": a["centroid"],
                "boundary": a["boundary"],
                "boundary_is_approximate": a["boundary_is_approximate"],
            }
            for a in areas
            if a["level"] == level
        }
        ids.update(_sync(AdminArea, wanted, AREA_FIELDS, result, "admin areas"))
    return ids


def _load_settlements(result: LoadResult, data_dir: Path, area_ids: dict[str, int]) -> None:
    rows = wanted_settlements(data_dir)
    wanted = {
        s["pcode"]: {
            "name_en": s["name_en"],
            "name_ar": s["name_ar"],
            "location": s["location"],
            "governorate_id": area_ids[s["governorate_pcode"]],
            "district_id": area_ids[s["district_pcode"]],
            "sub_district_id": area_ids[s["sub_district_pcode"]],
            "capital_level": s["capital_level"],
            "name_keys": sorted(name_keys(s["name_en"]) | name_keys(s["name_ar"])),
        }
        for s in rows
    }
    settlement_ids = _sync(Settlement, wanted, SETTLEMENT_FIELDS, result, "settlements")

    existing = set(
        SettlementAlias.objects.filter(settlement_id__in=settlement_ids.values()).values_list("settlement_id", "name")
    )
    new_aliases = {}
    for s in rows:
        for name, language in s["aliases"]:
            key = (settlement_ids[s["pcode"]], name)
            if key not in existing:
                new_aliases[key] = SettlementAlias(
                    settlement_id=key[0],
                    name=name,
                    language=language,
                    source=SettlementAlias.Source.GAZETTEER,
                    keys=sorted(name_keys(name)),
                )
    SettlementAlias.objects.bulk_create(new_aliases.values(), batch_size=1000)
    result.created["aliases"] += len(new_aliases)
    unkeyed = list(SettlementAlias.objects.filter(keys=[]))
    for alias in unkeyed:
        alias.keys = sorted(name_keys(alias.name))
    SettlementAlias.objects.bulk_update(unkeyed, ["keys"])
    result.updated["aliases"] += len(unkeyed)


def load_gazetteer(*, data_dir: Path = DATA_DIR) -> LoadResult:
    """Bring admin areas, settlements and their gazetteer aliases in line with the shipped files."""
    result = LoadResult()
    with transaction.atomic():
        area_ids = _load_admin_areas(result, data_dir)
        _load_settlements(result, data_dir, area_ids)
        if result.changed:
            transaction.on_commit(data_changed)
    return result
