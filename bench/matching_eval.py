"""Recall and wrong matches of AidTrack's matching per language, on variant sets built from the gazetteer.

.venv/bin/python bench/matching_eval.py      (make bench runs it; writes docs/MATCHING.md)

No database: the matcher is plain Python over the shipped communities file. Besides the import's
own thresholds it scores the rule set without the near-miss step, so the gain is measured in the
same run.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidtrack.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from settlements.importing.evaluation import build_cases, configured_gazetteer, evaluate  # noqa: E402
from settlements.matching import Gazetteer  # noqa: E402

OUT = ROOT / "docs" / "MATCHING.md"
LANGUAGES = {"en": "English (OCHA names, field spellings)", "ru": "Russian (MoD-style Cyrillic)"}
LANGUAGES |= {"ar": "Arabic (article, letter forms, tatweel, diacritics)", "review": "Must go to review"}


def table(scores) -> list[str]:
    lines = ["| set | rows | matched right | recall | wrong matches | sent to review |"]
    lines.append("|---|---:|---:|---:|---:|---:|")
    for language, label in LANGUAGES.items():
        s = scores[language]
        right = s.right if language != "review" else "-"
        recall = f"{s.recall:.1%}" if language != "review" else "-"
        reviewed = s.review if language != "review" else s.right  # there, review is the right answer
        lines.append(f"| {label} | {s.cases:,} | {right} | {recall} | {s.wrong} ({s.wrong_rate:.2%}) | {reviewed:,} |")
    return lines


def main() -> None:
    cases = build_cases()
    scores, wrong = evaluate(cases)
    gazetteer = configured_gazetteer()
    strict = Gazetteer(
        [], fuzzy_threshold=settings.IMPORT_FUZZY_THRESHOLD, near_threshold=101, near_margin=100
    )  # the near-miss step off
    for place in gazetteer.by_pcode.values():
        strict.add(place)
    strict_scores, _ = evaluate(cases, strict)
    lines = [
        "# Matching: recall and wrong matches per language",
        "",
        "Written by `bench/matching_eval.py` (`make bench`). The variant sets are built deterministically from",
        "the shipped OCHA communities file by `settlements/importing/evaluation.py`: its docstring says how each",
        "language's spellings are made. Every row names its governorate; half name their district too.",
        "A *wrong match* is a row matched to another settlement than the one it means; on the must-review set",
        "(names two communities of a governorate share, given without a district, and invented names) any",
        "match is wrong. A row sent to review costs staff a click; a wrong match costs a village its figures.",
        "",
        f"Thresholds: fuzzy {settings.IMPORT_FUZZY_THRESHOLD} (`IMPORT_FUZZY_THRESHOLD`), near miss "
        f"{settings.IMPORT_FUZZY_NEAR} with a margin of {settings.IMPORT_FUZZY_NEAR_MARGIN} points "
        "(`IMPORT_FUZZY_NEAR`, `IMPORT_FUZZY_NEAR_MARGIN`).",
        "",
        "## With the import's rules",
        "",
        *table(scores),
        "",
        "## The same sets with the near-miss step off (IMPORT_FUZZY_NEAR above 100)",
        "",
        *table(strict_scores),
        "",
        "## Wrong matches",
        "",
    ]
    if wrong:
        lines += ["| set | written | governorate | district | means | matched | by |", "|---|---|---|---|---|---|---|"]
        for case, got, method in wrong:
            lines.append(
                f"| {case.language} | {case.name} | {case.governorate} | {case.district or '-'} | {case.expected} "
                f"| {got} | {method} |"
            )
    else:
        lines.append("None.")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(table(scores)))
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
