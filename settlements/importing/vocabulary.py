"""The words lists use for their columns and values, in English, Russian and Arabic.

The words themselves are data (`settlements/data/vocabulary/*.csv`, one row per field, language
and term); this module only reduces a header or a cell to a *term key* that the forms of one word
share, so a vocabulary needs each word once, not each of its spellings:

- every language: case, punctuation, hyphens and slashes, parentheses, Unicode compatibility forms;
- English: accents, plurals and endings (Snowball's English stemmer: "villages" = "village");
- Russian: ё read as its plain form, and case endings (Snowball's Russian stemmer: "провинции" = "провинция");
- Arabic: diacritics and tatweel, the forms of alef, yeh and ta marbuta, the article with its
  prefixed conjunctions and prepositions (ال، وال، بال، لل), the sound feminine plural, then
  Snowball's Arabic stemmer ("المحافظات" = "محافظة"). Broken plurals (القرى) are listed as words.
"""

import csv
import functools
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import snowballstemmer

VOCABULARY_DIR = Path(__file__).resolve().parent.parent / "data" / "vocabulary"
ARABIC_MARKS = re.compile(r"[\u064B-\u065F\u0670\u0640]")  # harakat, superscript alef, tatweel
ARABIC_LETTERS = str.maketrans("أإآٱىئؤة", "اااايييه")
ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")
WORD = re.compile(r"[\w№#]+")
_STEMMERS = {name: snowballstemmer.stemmer(name) for name in ("english", "russian", "arabic")}


def _script(word: str) -> str:
    for ch in word:
        if "\u0600" <= ch <= "\u06ff":
            return "arabic"
        if "\u0400" <= ch <= "\u04ff":
            return "russian"
    return "english"


@functools.lru_cache(maxsize=20_000)
def _stem(word: str) -> str:
    script = _script(word)
    if script == "arabic":
        word = ARABIC_MARKS.sub("", word).translate(ARABIC_LETTERS)
        for prefix in ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                word = word[len(prefix) :]
                break
        if word.endswith("ات") and len(word) > 4:
            word = word[:-2]
    elif script == "english":
        word = "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))
    return _STEMMERS[script].stemWord(word)


def term_key(text) -> str:
    """The form of a header or a cell that a vocabulary looks up ('' for nothing)."""
    text = unicodedata.normalize("NFKC", str(text or "")).lower().replace("ё", "е").replace("_", " ")
    text = ARABIC_MARKS.sub("", text)  # marks are not word characters: they would split a word
    return " ".join(_stem(word) for word in WORD.findall(text))


def _read(name: str) -> list[dict]:
    with open(VOCABULARY_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@functools.cache
def header_terms() -> dict[str, str]:
    """Term key of a header -> the import field it means (`headers.csv`)."""
    terms = {}
    for row in _read("headers.csv"):
        terms.setdefault(term_key(row["term"]), row["field"])
    return terms


@functools.cache
def value_terms() -> dict[str, dict[str, str]]:
    """Field -> term key of a cell -> the value it means (`values.csv`), for fields with a closed vocabulary."""
    terms: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _read("values.csv"):
        terms[row["field"]].setdefault(term_key(row["term"]), row["value"])
    terms = dict(terms)
    for mapping in terms.values():  # the value itself is always understood
        for value in set(mapping.values()):
            mapping.setdefault(term_key(value), value)
    return terms


@functools.cache
def upload_terms(upload: str) -> tuple[dict[str, str], dict[str, str]]:
    """For a bulk upload of `upload` ("deliveries", "pledges"), from `coordination.csv`: term key of
    a header -> field, and HXL hashtag (lower case, no spaces) -> field."""
    headers, hashtags = {}, {}
    for row in _read("coordination.csv"):
        if row["upload"] != upload:
            continue
        if row["language"] == "hxl":
            hashtags.setdefault(hxl_key(row["term"]), row["field"])
        else:
            headers.setdefault(term_key(row["term"]), row["field"])
    return headers, hashtags


def hxl_key(tag) -> str:
    return re.sub(r"\s+", "", str(tag or "")).lower()


@functools.cache
def personal_terms() -> tuple[tuple[str, ...], ...]:
    """Term keys, as word tuples, of headers naming personal data (`personal.csv`)."""
    return tuple(sorted({tuple(term_key(row["term"]).split()) for row in _read("personal.csv")} - {()}))


def names_personal_data(header) -> bool:
    """A header that contains a personal-data term as whole words ("Phone of focal point")."""
    words = term_key(header).split()
    for term in personal_terms():
        size = len(term)
        if any(tuple(words[i : i + size]) == term for i in range(len(words) - size + 1)):
            return True
    return False
