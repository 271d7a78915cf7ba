"""Template filters for place names in the interface language (settlements.places)."""

from django import template

from settlements.places import local_name, other_name

register = template.Library()
register.filter("local_name", local_name)
register.filter("other_name", other_name)
