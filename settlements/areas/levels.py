"""Where settlements, camps and their requests lie at each administrative level.

A settlement carries its governorate, district and sub-district; a camp its governorate, and
below that the areas of the settlement it is near. Filters, map layers and figures all read
these paths, so an area means the same thing on every page.
"""

# The filter (and query parameter) that picks one area of each level.
LEVEL_FILTERS = {1: "governorate", 2: "district", 3: "sub_district"}

# Filter name -> the path from a settlement or a camp to its area of that level.
AREA_PATHS = {
    "settlement": {"governorate": "governorate", "district": "district", "sub_district": "sub_district"},
    "camp": {
        "governorate": "governorate",
        "district": "near_settlement__district",
        "sub_district": "near_settlement__sub_district",
    },
}


def path(target: str, level: int) -> str:
    """The path from a settlement or camp to its area of `level` (1, 2 or 3)."""
    return AREA_PATHS[target][LEVEL_FILTERS[level]]


def chosen_area(filterset):
    """The most specific area a filter set's parameters chose (sub-district, district, governorate), or None."""
    chosen = filterset.form.cleaned_data if filterset.is_valid() else {}
    return next((chosen[name] for name in reversed(LEVEL_FILTERS.values()) if chosen.get(name)), None)
