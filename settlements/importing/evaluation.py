"""How well matching recovers the names field lists write, measured on variant sets built from the gazetteer.

Each set is made deterministically from the shipped communities file, the way lists misspell them:
- **en**: OCHA English names with one or two field-list changes (a doubled or dropped consonant,
  hyphens for spaces, the article written another way or left off, Tell/Tal, Kafr/Kfar, e/i, o/u,
  a final -eh);
- **ru**: the English names transliterated in Russian MoD style (Эль-, hyphens, Cyrillic
  endings), some with a changed ending;
- **ar**: the Arabic names with the article added or dropped, ta marbuta/ha, alef and yeh forms,
  tatweel and diacritics;
- **must review**: names two communities of one governorate share (given without a district),
  and invented names that are no community's. A match on any of these is a wrong match.

Every variant row gives its governorate and, for half the rows, its district, as lists do.
`python bench/matching_eval.py` prints the figures and writes docs/MATCHING.md.
"""

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from settlements.matching import Gazetteer, Place, name_key

COMMUNITIES = Path(__file__).resolve().parent.parent / "data" / "gazetteer" / "syr_admin4_communities_ocha2015.csv"
SAMPLE_PER_LANGUAGE = 1500

RU_DIGRAPHS = [("kh", "х"), ("sh", "ш"), ("ch", "ч"), ("ts", "ц"), ("ya", "я"), ("yu", "ю"), ("ou", "у")]
RU_DIGRAPHS += [("oo", "у"), ("ee", "и"), ("gh", "г"), ("th", "т"), ("dh", "з"), ("aa", "а"), ("ai", "ай")]
RU_LETTERS = {"a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и", "j": "дж"}
RU_LETTERS |= {"k": "к", "l": "ль", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р", "s": "с", "t": "т"}
RU_LETTERS |= {"u": "у", "v": "в", "w": "в", "x": "кс", "y": "й", "z": "з"}
ARABIC_VARIANTS = [("ة", "ه"), ("ى", "ي"), ("أ", "ا"), ("إ", "ا"), ("آ", "ا")]
SYLLABLES = ["bar", "zum", "tok", "lif", "gor", "wen", "dus", "kip", "mor", "zef", "pul", "vok", "nim", "jox"]


@dataclass(frozen=True)
class Case:
    language: str  # en, ru, ar, or review
    name: str
    governorate: str
    district: str
    expected: str  # a P-code, or "review"


def load_places(path: Path = COMMUNITIES) -> tuple[list[Place], list[dict]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    places = [
        Place(i, r["admin4_pcode"], r["admin1_pcode"], r["admin2_pcode"], (r["admin4_name_en"], r["admin4_name_ar"]))
        for i, r in enumerate(rows, start=1)
    ]
    return places, rows


# --- variants ------------------------------------------------------------------------------


def english_variant(name: str, rng: random.Random) -> str:
    changes = [_double_or_drop, _hyphens, _article, _vowel, _prefix_spelling, _soft_ending]
    for change in rng.sample(changes, rng.choice([1, 2])):
        name = change(name, rng)
    return name


def _double_or_drop(name: str, rng: random.Random) -> str:
    consonants = [i for i, ch in enumerate(name) if ch.isalpha() and ch.lower() not in "aeiou" and i > 0]
    if not consonants:
        return name
    i = rng.choice(consonants)
    if name[i - 1] == name[i]:
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i] + name[i:]


def _hyphens(name: str, rng: random.Random) -> str:
    return name.replace("-", " ") if "-" in name else name.replace(" ", "-")


def _article(name: str, rng: random.Random) -> str:
    words = name.split()
    for i, word in enumerate(words):
        lower = word.lower()
        if lower in ("al", "el") or lower.startswith(("al-", "el-")):
            words[i] = rng.choice(["El", "Al", ""]) + word[2:]
            return " ".join(w for w in words if w).replace(" -", " ").strip("- ")
    return f"{rng.choice(['Al', 'El'])}-{name}" if rng.random() < 0.3 else name


def _vowel(name: str, rng: random.Random) -> str:
    swaps = {"e": "i", "i": "e", "o": "u", "u": "o"}
    places = [i for i, ch in enumerate(name) if ch in swaps and i > 0]
    if not places:
        return name
    i = rng.choice(places)
    return name[:i] + swaps[name[i]] + name[i + 1 :]


def _prefix_spelling(name: str, rng: random.Random) -> str:
    for old, new in (("Tell ", "Tal "), ("Tal ", "Tell "), ("Kafr ", "Kfar "), ("Deir ", "Dayr "), ("Ein ", "Ain ")):
        if name.startswith(old):
            return new + name[len(old) :]
    return name


def _soft_ending(name: str, rng: random.Random) -> str:
    if name.endswith(("eh", "ah")):
        return name[:-1]
    if name.endswith(("e", "a")):
        return name + "h"
    return name


def russian_variant(name: str, rng: random.Random) -> str:
    words = []
    for word in name.replace("-", " ").split():
        lower = word.lower()
        if lower in ("al", "el"):
            words.append("Эль" if rng.random() < 0.75 else "Аль")
            continue
        for latin, cyrillic in RU_DIGRAPHS:
            lower = lower.replace(latin, cyrillic)
        text = "".join(RU_LETTERS.get(ch, ch) for ch in lower)
        # A soft sign only before a consonant or at the end, as Russian writes Arabic names.
        text = "".join(
            "" if ch == "ь" and (i + 1 < len(text) and text[i + 1] in "аеиоуяюй") else ch for i, ch in enumerate(text)
        )
        text = text.replace("'", "").replace("`", "")
        words.append(text[:1].upper() + text[1:])
    result = "-".join(words)
    if rng.random() < 0.3 and result[-1:] in "аея":  # a case ending another office writes
        result = result[:-1] + rng.choice("аея")
    return result


def arabic_variant(name: str, rng: random.Random) -> str:
    if not name:
        return name
    if name.startswith("ال") and rng.random() < 0.5:
        name = name[2:]
    elif not name.startswith("ال") and rng.random() < 0.3:
        name = "ال" + name
    for old, new in ARABIC_VARIANTS:
        if old in name and rng.random() < 0.6:
            name = name.replace(old, new)
    if rng.random() < 0.3 and len(name) > 3:
        name = name[:2] + "ـ" + name[2:]
    if rng.random() < 0.3:
        name = name[:1] + "َ" + name[1:]
    return name


# --- the sets ------------------------------------------------------------------------------


def build_cases(seed: int = 2017, per_language: int = SAMPLE_PER_LANGUAGE) -> list[Case]:
    _, rows = load_places()
    rng = random.Random(seed)  # noqa: S311 (a reproducible test set, not a secret)
    by_key: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        by_key[(r["admin1_pcode"], name_key(r["admin4_name_en"]))].add(r["admin4_pcode"])
    unique = [r for r in rows if len(by_key[(r["admin1_pcode"], name_key(r["admin4_name_en"]))]) == 1]
    cases = []
    makers = {"en": ("admin4_name_en", english_variant), "ru": ("admin4_name_en", russian_variant)}
    makers["ar"] = ("admin4_name_ar", arabic_variant)
    ar_keys = defaultdict(set)
    for r in rows:
        ar_keys[(r["admin1_pcode"], name_key(r["admin4_name_ar"]))].add(r["admin4_pcode"])
    for language, (column, make) in makers.items():
        taken = 0
        for r in rng.sample(unique, len(unique)):
            if taken == per_language:
                break
            variant = make(r[column], rng)
            # A variant that is another community's name in the governorate names that community: not a test.
            others = (ar_keys if language == "ar" else by_key)[(r["admin1_pcode"], name_key(variant))]
            if not variant or others - {r["admin4_pcode"]}:
                continue
            district = r["admin2_pcode"] if rng.random() < 0.5 else ""
            cases.append(Case(language, variant, r["admin1_pcode"], district, r["admin4_pcode"]))
            taken += 1
    shared = [(gov, key) for (gov, key), pcodes in by_key.items() if len(pcodes) > 1 and key]
    names = {(r["admin1_pcode"], name_key(r["admin4_name_en"])): r["admin4_name_en"] for r in rows}
    for gov, key in sorted(shared):
        cases.append(Case("review", names[(gov, key)], gov, "", "review"))
    known = {key for _, key in by_key}
    governorates = sorted({r["admin1_pcode"] for r in rows})
    while sum(1 for c in cases if c.language == "review") < len(shared) + 300:
        invented = " ".join(
            "".join(rng.choice(SYLLABLES) for _ in range(rng.choice([2, 3]))).title() for _ in range(rng.choice([1, 2]))
        )
        if name_key(invented) not in known:
            cases.append(Case("review", invented, rng.choice(governorates), "", "review"))
    return cases


@dataclass
class Score:
    cases: int = 0
    right: int = 0
    wrong: int = 0
    review: int = 0

    @property
    def recall(self) -> float:
        return self.right / self.cases if self.cases else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.cases if self.cases else 0.0


def configured_gazetteer() -> Gazetteer:
    """The shipped communities, matched with the thresholds the import uses."""
    from django.conf import settings

    return Gazetteer(
        load_places()[0],
        fuzzy_threshold=settings.IMPORT_FUZZY_THRESHOLD,
        near_threshold=settings.IMPORT_FUZZY_NEAR,
        near_margin=settings.IMPORT_FUZZY_NEAR_MARGIN,
    )


def evaluate(cases: list[Case], gazetteer: Gazetteer | None = None) -> tuple[dict[str, Score], list[tuple]]:
    """Scores per language, and the wrong matches (case, P-code matched, method)."""
    if gazetteer is None:
        gazetteer = configured_gazetteer()
    scores: dict[str, Score] = defaultdict(Score)
    wrong = []
    for case in cases:
        match = gazetteer.match(name=case.name, governorate=case.governorate, district=case.district)
        score = scores[case.language]
        score.cases += 1
        got = match.place.pcode if match.matched else "review"
        if got == case.expected:
            score.right += 1
        elif got == "review":
            score.review += 1
        else:
            score.wrong += 1
            wrong.append((case, got, match.method))
    return dict(scores), wrong
