"""Match a list's parsed rows to settlements, loading only the places the rows can mean.

P-coded rows need only their P-codes. Named rows look their name keys up in the stored keys
(a GIN index), and only rows no exact step settles pull in whole governorates for fuzzy matching.
So a 69-row list never reads 100,000 settlements, and a 100,000-row P-coded list reads them once.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from settlements.matching import Gazetteer, Governorates, Match, Place, looks_like_pcode, name_key
from settlements.models import AdminArea, ListEntry, Settlement, SettlementAlias

PLACE_FIELDS = ("id", "pcode", "governorate__pcode", "district__pcode", "sub_district__pcode", "name_en", "name_ar")
PLACE_FIELDS += ("name_keys",)
ADMIN_PCODE = re.compile(r"SY\d{2}(\d{2}(\d{2})?)?", re.IGNORECASE)  # a governorate, district or sub-district
PROGRESS_ROWS = 5000  # how often match_all tells the import's progress
WHOLE_TABLE = 5000  # above this many P-codes, one scan beats a long IN list


@dataclass(slots=True)
class RowOutcome:
    row: int
    raw: dict
    values: dict
    outcome: str  # ListEntry.Outcome
    settlement_id: int | None = None
    pcode: str = ""
    settlement_name: str = ""
    method: str = ""
    score: float | None = None
    message: str = ""
    candidates: list = field(default_factory=list)
    governorate_id: int | None = None
    governorate_pcode: str = ""
    district_pcode: str = ""
    warnings: list = field(default_factory=list)


def error_outcome(row, message: str) -> RowOutcome:
    pcode = str(row.values.get("pcode", "")).upper()
    return RowOutcome(
        row.row,
        row.raw,
        row.values,
        ListEntry.Outcome.ERROR,
        pcode=pcode,
        message=f"Row {row.row}: {message}",
        warnings=row.warnings,
    )


class RowMatcher:
    def __init__(self):
        areas = list(
            AdminArea.objects.filter(level__lte=3).values("id", "pcode", "level", "name_en", "name_ar", "aliases")
        )
        self.area_ids = {a["pcode"]: a["id"] for a in areas}
        self.area_pcodes = {a["id"]: a["pcode"] for a in areas}
        self.governorates = Governorates.build(
            {a["pcode"]: [a["name_en"], a["name_ar"], *a["aliases"]] for a in areas if a["level"] == 1}
        )
        # Districts by governorate and sub-districts by governorate: P-code prefix -> name key -> P-code.
        self.areas_within = defaultdict(dict)
        for a in areas:
            if a["level"] in (2, 3):
                for name in (a["name_en"], a["name_ar"], *a["aliases"]):
                    self.areas_within[(a["level"], a["pcode"][:4])].setdefault(name_key(name), a["pcode"])
        self.gazetteer = Gazetteer(
            (),
            fuzzy_threshold=settings.IMPORT_FUZZY_THRESHOLD,
            near_threshold=settings.IMPORT_FUZZY_NEAR,
            near_margin=settings.IMPORT_FUZZY_NEAR_MARGIN,
        )
        self._resolved: dict = {}  # a list repeats a few dozen governorate and district spellings

    # --- loading -----------------------------------------------------------------------------

    def _add_codes(self, queryset) -> None:
        # Area ids, not a join: the areas are loaded already, and 100,000 rows come back leaner.
        rows = queryset.values_list("id", "pcode", "governorate_id", "district_id", "name_en").order_by()
        area = self.area_pcodes
        self.gazetteer.add_codes(
            Place(i, pcode, area[gov], area.get(district, ""), (en,)) for i, pcode, gov, district, en in rows
        )

    def _add(self, queryset, *, with_aliases: bool) -> None:
        rows = list(queryset.values_list(*PLACE_FIELDS).order_by())
        aliases = defaultdict(list)
        if with_aliases and rows:
            for settlement_id, name, keys in SettlementAlias.objects.filter(
                settlement_id__in=[r[0] for r in rows]
            ).values_list("settlement_id", "name", "keys"):
                aliases[settlement_id].append((name, keys))
        for i, pcode, gov, district, sub_district, en, ar, keys in rows:
            names = aliases.get(i, [])
            self.gazetteer.add(
                Place(
                    i,
                    pcode,
                    gov,
                    district or "",
                    (en, ar),
                    tuple(n for n, _ in names),
                    sub_district=sub_district or "",
                    name_keys=tuple(keys),
                    alias_keys=tuple(k for _, ks in names for k in ks),
                )
            )

    def _load_candidates(self, parsed) -> None:
        pcodes = {str(r.values.get("pcode", "")).upper() for r in parsed if r.values.get("pcode")}
        if pcodes:
            listed = (
                Settlement.objects.all() if len(pcodes) > WHOLE_TABLE else Settlement.objects.filter(pcode__in=pcodes)
            )
            self._add_codes(listed)
        keys = {name_key(row.values["name"]) for row in parsed if self._needs_name(row)}
        keys.discard("")
        if keys:
            # Two lookups, each answered by its GIN index; OR-ed in one query, PostgreSQL would
            # compare every settlement's keys with every key of the list (minutes at 100,000 names).
            keys = sorted(keys)
            found = set(Settlement.objects.filter(name_keys__overlap=keys).values_list("pk", flat=True))
            found |= set(SettlementAlias.objects.filter(keys__overlap=keys).values_list("settlement_id", flat=True))
            self._add(Settlement.objects.filter(pk__in=found), with_aliases=True)

    def _needs_name(self, row) -> bool:
        """A row its P-code does not settle, and that is not a new place to add: it is matched by name."""
        values = row.values
        pcode = str(values.get("pcode", "")).upper()
        if not values.get("name") or pcode in self.gazetteer.by_pcode:
            return False
        return not self._is_new_place(pcode, self._governorate(row), values)

    def _load_governorates(self, scopes: set[str]) -> None:
        scopes -= self.gazetteer.governorates_loaded
        if scopes:
            self._add(Settlement.objects.filter(governorate__pcode__in=scopes), with_aliases=True)
            self.gazetteer.governorates_loaded |= scopes

    # --- matching ----------------------------------------------------------------------------

    def match_all(self, parsed, progress=None) -> list[RowOutcome]:
        """Every row's outcome; `progress` (importing.progress) hears every PROGRESS_ROWS rows."""
        self._load_candidates(parsed)
        outcomes, seen_pcodes, pending = [], {}, []
        for index, row in enumerate(parsed):
            if progress is not None and index % PROGRESS_ROWS == 0:
                progress.matched(index)
            outcome, match = self._match_row(row, seen_pcodes, fuzzy=False)
            if match is not None and match.needs_fuzzy:
                pending.append(index)
            outcomes.append(outcome)
        if pending:
            scopes = set()
            for index in pending:
                scopes.update(self.gazetteer.governorate_scope(self._governorate(parsed[index])) or ())
            self._load_governorates(scopes)
            for index in pending:
                outcomes[index], _ = self._match_row(parsed[index], {}, fuzzy=True)
        if progress is not None:
            progress.matched(len(parsed))
        return self._one_row_per_settlement(parsed, outcomes)

    @staticmethod
    def _one_row_per_settlement(parsed, outcomes) -> list[RowOutcome]:
        first_row = {}
        for index, outcome in enumerate(outcomes):
            if outcome.settlement_id is not None:
                first = first_row.setdefault(outcome.settlement_id, outcome.row)
                if first != outcome.row:
                    outcomes[index] = error_outcome(parsed[index], f"names the same settlement as row {first}")
        return outcomes

    def _governorate(self, row) -> str | None:
        """The row's governorate: written in any spelling or as a P-code, or read off its district's
        or sub-district's P-code."""
        values = row.values
        written = values.get("governorate", "")
        if written not in self._resolved:
            code = _admin_pcode(written)
            self._resolved[written] = code[:4] if code else self.governorates.resolve(written)
        if self._resolved[written] is None:
            for column in ("sub_district", "district"):
                code = _admin_pcode(values.get(column, ""))
                if code:
                    return code[:4]
        return self._resolved[written]

    def _match_row(self, row, seen_pcodes, *, fuzzy: bool) -> tuple[RowOutcome, Match | None]:
        if row.errors:
            return error_outcome(row, "; ".join(row.errors)), None
        values = row.values
        pcode = values.get("pcode", "").upper()
        if pcode:
            if pcode in seen_pcodes:
                return error_outcome(row, f"P-code {pcode} is also on row {seen_pcodes[pcode]}"), None
            seen_pcodes[pcode] = row.row
        governorate = self._governorate(row)
        outcome = RowOutcome(row.row, row.raw, values, ListEntry.Outcome.MATCHED, pcode=pcode, warnings=row.warnings)
        outcome.governorate_id = self.area_ids.get(governorate)
        place = self.gazetteer.by_pcode.get(pcode) if pcode else None
        if place is not None:  # the P-code step, as the gazetteer takes it, for most rows of most lists
            outcome.settlement_id, outcome.method, outcome.score = place.id, "pcode", 100.0
            outcome.pcode, outcome.settlement_name = place.pcode, place.names[0]
            return outcome, None
        district = self._area(2, governorate, values.get("district", ""))
        sub_district = self._area(3, governorate, values.get("sub_district", ""))
        if self._is_new_place(pcode, governorate, values):
            outcome.outcome, outcome.method = ListEntry.Outcome.CREATED, "created"
            outcome.settlement_name = values["name"]
            outcome.message = f"new settlement {pcode}, unverified"
            outcome.governorate_pcode, outcome.district_pcode = governorate, district
            return outcome, None
        match = self.gazetteer.match(
            pcode=pcode,
            name=values.get("name", ""),
            governorate=governorate,
            district=district,
            sub_district=sub_district,
            fuzzy=fuzzy,
        )
        if match.matched:
            outcome.settlement_id, outcome.method, outcome.score = match.place.id, match.method, match.score
            outcome.pcode, outcome.settlement_name = match.place.pcode, match.place.names[0]
        else:
            outcome.outcome, outcome.message, outcome.score = ListEntry.Outcome.REVIEW, match.reason, match.score
            outcome.candidates = [{"pcode": p.pcode, "name": p.names[0]} for p in match.candidates]
        return outcome, match

    def _area(self, level: int, governorate: str | None, written: str) -> str:
        """A district (level 2) or sub-district (3) P-code from its name within the governorate, or its P-code."""
        if not written:
            return ""
        code = _admin_pcode(written)
        if code:
            return code if len(code) == 2 + 2 * level else ""
        if not governorate:
            return ""
        if (level, governorate, written) not in self._resolved:
            found = self.areas_within.get((level, governorate), {}).get(name_key(written), "")
            self._resolved[(level, governorate, written)] = found
        return self._resolved[(level, governorate, written)]

    def _is_new_place(self, pcode: str, governorate: str | None, values: dict) -> bool:
        """A P-code the gazetteer lacks, with a governorate, a name and a point in Syria: a place to add."""
        known = pcode in self.gazetteer.by_pcode
        return bool(pcode and not known and looks_like_pcode(pcode) and governorate and values.get("name")) and (
            "latitude" in values
        )


def _admin_pcode(written) -> str:
    text = str(written or "").strip().upper()
    return text if ADMIN_PCODE.fullmatch(text) else ""
