"""Numbers in Arabic as CLDR writes them with Latin digits (ar-u-nu-latn), which the browser's
Intl.NumberFormat also uses on the map: 1,234.5. Django's own Arabic formats do not group
thousands; its date formats stand."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
