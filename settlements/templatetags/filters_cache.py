"""The filter form, rendered once for everyone who asks for the same filters in the same language while
the data stays as it is: its selects list every governorate, district and sub-district, and Django
renders each of their 350 options from a template, most of a table page's time. Cached like the map
data (settlements.caching): without Redis it is rendered every time, and the page still answers."""

from django import template
from django.template.loader import render_to_string

from settlements.caching import cached
from settlements.views.common import canonical_parameters

register = template.Library()


@register.simple_tag(takes_context=True)
def filter_form(context) -> str:
    request, filterset = context["request"], context["filter"]
    # The page's path says which filters it has, so the filter set (lazy on a table page) is built
    # only when the form is rendered.
    parameters = canonical_parameters(request, ignore=("page", "export"))
    # render_to_string escapes every value (the query's, the areas' and organisations' names) and
    # returns a SafeString, which the cache keeps as one: the tag leaves it as it is.
    return cached(
        "filter-form",
        parameters,
        lambda: render_to_string("_filter_form.html", {"filter": filterset}, request=request),
        per_language=True,
    )
