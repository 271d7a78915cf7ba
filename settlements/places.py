"""Place names in the interface language, with the other script beside them where it helps.

Works on anything with name_en and name_ar: admin areas, settlements, camps, and the rows
tables build from `.values()`.
"""

from django.utils.translation import get_language


def _names(place) -> tuple[str, str]:
    if place is None:
        return "", ""
    if isinstance(place, dict):
        return place.get("name_en") or "", place.get("name_ar") or ""
    return getattr(place, "name_en", "") or "", getattr(place, "name_ar", "") or ""


def arabic_first() -> bool:
    return (get_language() or "").startswith("ar")


def local_name(place) -> str:
    """The Arabic name on an Arabic page when there is one, the English name otherwise."""
    english, arabic = _names(place)
    return arabic if arabic_first() and arabic else english


def other_name(place) -> str:
    """The name in the other script, or '' when there is none."""
    english, arabic = _names(place)
    return english if arabic_first() and arabic else arabic
