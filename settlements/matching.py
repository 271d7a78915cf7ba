"""Place-name normalisation and matching. Plain Python: no database, no Django.

Lists spell the same village many ways: `Qeshbeh`, `Kashba`, `Кешбе`, `القشبة`. Matching reduces
each spelling to a *key* and compares keys, in a fixed order that never guesses:

1. the P-code;
2. the exact key of an official name (English or Arabic; Russian is transliterated first),
   within the row's governorate and, when given, district;
3. the exact key of a known alias, including names staff confirmed;
4. a fuzzy score on the keys within the governorate, accepted only above a threshold and
   clearly ahead of the runner-up;
5. a near miss: within the narrowest area the row names (sub-district, else district), a lower
   score is accepted when exactly one place of that area is within reach and the next is far
   behind (the margin rule). A district or sub-district the row names also vetoes a fuzzy
   candidate outside it.

Two or more candidates, or a weak score, is a decision for a person: the row goes to review.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from anyascii import anyascii
from rapidfuzz import fuzz, process

ARABIC_LETTER_VARIANTS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ـ": None,  # tatweel
    }
)
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
ARTICLES = {"al", "el", "ad", "ed", "ar", "er", "as", "es", "at", "et", "az", "ez", "an", "en", "ash", "esh", "ath"}
# Latin spellings of one sound, reduced to one spelling. Applied in this order.
SOUND_RULES = [
    (re.compile(r"iyeh|iyah|iya|iye|ia"), "i"),
    (re.compile(r"dzh|dj"), "j"),
    (re.compile(r"kh"), "h"),
    (re.compile(r"gh"), "g"),
    (re.compile(r"ou|oo"), "u"),
    (re.compile(r"w"), "v"),
    (re.compile(r"ee|ey|ei|y"), "i"),
    (re.compile(r"ai"), "i"),
    (re.compile(r"th"), "t"),
    (re.compile(r"dh"), "d"),
    (re.compile(r"q|c(?!h)"), "k"),
    (re.compile(r"(.)\1+"), r"\1"),
]
# A final -eh/-ah/-h or vowel is written one way in one list and left off in the next.
TRAILING_SOFT = re.compile(r"(?<=..)(eh|ah|h|[aeiou])$")
SCRIPT_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
SCRIPT_ARABIC = re.compile(r"[\u0600-\u06FF]")
NOT_WORD = re.compile(r"[^\w]+")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _arabic_tokens(text: str) -> list[str]:
    text = _strip_marks(text).translate(ARABIC_LETTER_VARIANTS)
    tokens = [t for t in NOT_WORD.split(text.replace("_", " ")) if t]
    return [t[2:] if t.startswith("ال") and len(t) > 3 else t for t in tokens]


def _latin_sound(token: str) -> str:
    for pattern, replacement in SOUND_RULES:
        token = pattern.sub(replacement, token)
    return TRAILING_SOFT.sub("", token)


# Russian writes the Arabic endings -iyeh/-iya as -ийех/-ия/-ья and a final -a as -я: spelled the
# Latin way before transliteration, so they meet the same sound rules as the English names.
RUSSIAN_ENDINGS = [(re.compile(r"[иы]й[еэ]х?\b", re.IGNORECASE), "iyeh"), (re.compile(r"[иь][яа]\b"), "iya")]
RUSSIAN_ENDINGS += [(re.compile(r"(?<=[бвгджзклмнпрстфхцчшщ])я\b"), "a")]


def _russian_endings(text: str) -> str:
    for pattern, latin in RUSSIAN_ENDINGS:
        text = pattern.sub(latin, text)
    return text


def _latin_tokens(text: str) -> list[str]:
    text = anyascii(_russian_endings(text)) if SCRIPT_CYRILLIC.search(text) else _strip_marks(text)
    text = text.replace("'", "").replace("`", "").replace("\u2019", "").lower()
    tokens = [t for t in NOT_WORD.split(text.replace("_", " ")) if t]
    tokens = [t for t in tokens if t not in ARTICLES] or tokens
    out = []
    for i, token in enumerate(tokens):
        # OCHA writes the article glued to the next word ("Kafr Eltoon"); lists write it apart.
        if i > 0 and len(token) > 4 and token[:2] in ("el", "al") and token[2] not in "aeiou":
            token = token[2:]
        out.append(_latin_sound(token))
    return out


def name_key(name: str) -> str:
    """The comparable form of a place name in any script ('' for a blank name)."""
    if not name or not name.strip():
        return ""
    if SCRIPT_ARABIC.search(name):
        return "".join(_arabic_tokens(name))
    return "".join(_latin_tokens(name))


def name_keys(name: str) -> set[str]:
    """Keys of a name and of each half of a double name ('A_B', 'A / B')."""
    parts = [name, *re.split(r"[_/]| - ", name)] if re.search(r"[_/]| - ", name) else [name]
    return {key for key in map(name_key, parts) if key}


def looks_like_pcode(value: str) -> bool:
    return bool(re.fullmatch(r"C\d{4,7}", value.strip().upper()))


class Place(NamedTuple):
    """What matching needs to know of a settlement (a tuple: a P-coded list builds 100,000 of them)."""

    id: int
    pcode: str
    governorate: str  # P-code, e.g. SY04
    district: str
    names: tuple[str, ...]  # official names (English, Arabic)
    aliases: tuple[str, ...] = ()
    sub_district: str = ""
    # Keys computed ahead (the database stores them); derived from names and aliases when empty.
    name_keys: tuple[str, ...] = ()
    alias_keys: tuple[str, ...] = ()

    def keys(self) -> tuple[set[str], set[str]]:
        names = set(self.name_keys) or {k for name in self.names for k in name_keys(name)}
        aliases = set(self.alias_keys) or {k for name in self.aliases for k in name_keys(name)}
        return names, aliases


@dataclass
class Match:
    """The decision for one row: a place, or a reason a person has to look."""

    place: Place | None
    method: str  # pcode, name, alias, fuzzy; or review
    score: float = 100.0
    candidates: list[Place] = field(default_factory=list)
    reason: str = ""
    needs_fuzzy: bool = False

    @property
    def matched(self) -> bool:
        return self.place is not None


@dataclass
class Governorates:
    """Resolve a governorate written in any spelling to its P-code."""

    keys: dict[str, str]  # name key -> P-code

    @classmethod
    def build(cls, names_by_pcode: dict[str, Iterable[str]]) -> "Governorates":
        keys = {}
        for pcode, names in names_by_pcode.items():
            for name in names:
                for key in name_keys(name):
                    keys.setdefault(key, pcode)
            keys[pcode.lower()] = pcode
        return cls(keys=keys)

    def resolve(self, name: str) -> str | None:
        key = name_key(name or "")
        if not key:
            return None
        if key in self.keys:
            return self.keys[key]
        best = process.extractOne(key, self.keys.keys(), scorer=fuzz.ratio, score_cutoff=80)
        return self.keys[best[0]] if best else None


class Gazetteer:
    """An in-memory index of places, built once per import."""

    def __init__(
        self,
        places: Iterable[Place],
        *,
        fuzzy_threshold: float = 88.0,
        fuzzy_margin: float = 4.0,
        near_threshold: float = 75.0,
        near_margin: float = 12.0,
    ):
        self.fuzzy_threshold, self.fuzzy_margin = fuzzy_threshold, fuzzy_margin
        self.near_threshold, self.near_margin = near_threshold, near_margin
        self.keys_by_area: dict[str, dict[str, list[Place]]] = defaultdict(lambda: defaultdict(list))
        self.by_pcode: dict[str, Place] = {}
        self.by_name: dict[str, list[Place]] = defaultdict(list)
        self.by_alias: dict[str, list[Place]] = defaultdict(list)
        self.keys_by_governorate: dict[str, dict[str, list[Place]]] = defaultdict(lambda: defaultdict(list))
        self.governorates_loaded: set[str] = set()
        self._indexed: set[tuple[int, str, bool]] = set()
        for place in places:
            self.add(place)

    def add_codes(self, places: Iterable[Place]) -> None:
        """Know places by P-code only: enough for rows that carry one, and much cheaper to build."""
        for place in places:
            self.by_pcode.setdefault(place.pcode.upper(), place)

    def add(self, place: Place) -> None:
        """Index a place's names and aliases; adding a place again only adds what is new."""
        self.by_pcode.setdefault(place.pcode.upper(), place)
        name_keys_, alias_keys = place.keys()
        for is_alias, index, keys in ((False, self.by_name, name_keys_), (True, self.by_alias, alias_keys)):
            for key in keys:
                if (place.id, key, is_alias) not in self._indexed:
                    self._indexed.add((place.id, key, is_alias))
                    index[key].append(place)
                    self.keys_by_governorate[place.governorate][key].append(place)
                    for area in (place.district, place.sub_district):
                        if area:
                            self.keys_by_area[area][key].append(place)

    def match(
        self,
        *,
        pcode: str = "",
        name: str = "",
        governorate: str | None = None,
        district: str = "",
        sub_district: str = "",
        fuzzy=True,
    ) -> Match:
        """Decide which place a row means. `governorate` is a resolved P-code or None.

        With fuzzy=False a row no exact step settles comes back with `needs_fuzzy` set, so a caller
        can load the governorate's places before trying again.
        """
        if pcode:
            place = self.by_pcode.get(pcode.strip().upper())
            if place:
                return Match(place, "pcode")
            if not name:
                return Match(None, "review", 0, reason=f"unknown P-code {pcode}")
        key = name_key(name)
        if not key:
            return Match(None, "review", 0, reason="no name to match")
        scope = self.governorate_scope(governorate)
        by_name = self._in_scope(self.by_name.get(key, []), scope, district, sub_district)
        if len(by_name) == 1:
            return Match(by_name[0], "name")
        # An alias (one a person confirmed, say) also settles a name that several places share.
        by_alias = self._in_scope(self.by_alias.get(key, []), scope, district, sub_district)
        if len(by_alias) == 1:
            return Match(by_alias[0], "alias")
        found = by_name or by_alias
        if found:
            return Match(None, "review", 100, candidates=found, reason=f"{len(found)} places are called {name!r}")
        if not fuzzy and scope is not None:
            return Match(None, "review", 0, reason="no exact match", needs_fuzzy=True)
        return self._fuzzy(key, name, scope, sub_district or district)

    # The MoD called Rural Damascus places "province of Damascus": a Damascus row searches both.
    WIDER_SCOPE = {"SY01": ("SY01", "SY03")}

    def governorate_scope(self, governorate: str | None) -> tuple[str, ...] | None:
        if governorate is None:
            return None
        return self.WIDER_SCOPE.get(governorate, (governorate,))

    @staticmethod
    def _in_scope(places: list[Place], scope, district: str, sub_district: str = "") -> list[Place]:
        found = list({p.id: p for p in places if scope is None or p.governorate in scope}.values())
        for area, of in ((district, "district"), (sub_district, "sub_district")):
            if len(found) > 1 and area:
                in_area = [p for p in found if getattr(p, of) == area]
                found = in_area or found
        return found

    @staticmethod
    def _ranked(key: str, choices: dict[str, list[Place]]) -> list[tuple[float, Place]]:
        scored = process.extract(key, choices.keys(), scorer=fuzz.ratio, limit=5, score_cutoff=60)
        best: dict[int, tuple[float, Place]] = {}
        for candidate_key, score, _ in scored:
            for place in choices[candidate_key]:
                if place.id not in best or best[place.id][0] < score:
                    best[place.id] = (score, place)
        return sorted(best.values(), key=lambda pair: -pair[0])

    def _fuzzy(self, key: str, name: str, scope, area: str = "") -> Match:
        """`area` is the narrowest admin area the row names (a district or sub-district P-code)."""
        if scope is None:
            return Match(None, "review", 0, reason=f"no place called {name!r} and no governorate to search in")
        choices = {}
        for gov in scope:
            for candidate_key, places in self.keys_by_governorate.get(gov, {}).items():
                choices.setdefault(candidate_key, places)
        ranked = self._ranked(key, choices)
        local = self._ranked(key, self.keys_by_area[area]) if area in self.keys_by_area else []
        if ranked and ranked[0][0] >= self.fuzzy_threshold:
            # A row that names its area is not matched to a place outside it.
            top = ranked[0][1]
            vetoed = area in self.keys_by_area and area not in (top.district, top.sub_district)
            if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < self.fuzzy_margin:
                pass  # as close to several: perhaps the area settles it, below
            elif not vetoed:
                return Match(ranked[0][1], "fuzzy", round(ranked[0][0], 1))
        near = self._near_miss(local)
        if near is not None:
            return near
        if not ranked or ranked[0][0] < self.fuzzy_threshold:
            top = f" (closest: {ranked[0][1].pcode}, {ranked[0][0]:.0f}%)" if ranked else ""
            score = round(ranked[0][0], 1) if ranked else 0
            return Match(None, "review", score, [p for _, p in ranked], f"no confident match for {name!r}{top}")
        candidates = [p for _, p in ranked[:3]]
        return Match(None, "review", round(ranked[0][0], 1), candidates, f"{name!r} is as close to several places")

    def _near_miss(self, local: list[tuple[float, Place]]) -> Match | None:
        """The only place of the row's own area within reach, far ahead of the next: a match."""
        if not local or local[0][0] < self.near_threshold:
            return None
        runner_up = local[1][0] if len(local) > 1 else 0.0
        if local[0][0] - runner_up < self.near_margin:
            return None
        return Match(local[0][1], "fuzzy", round(local[0][0], 1))
