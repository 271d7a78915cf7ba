"""The filter form, rendered once for everyone who asks for the same filters in the same language while
the data stays as it is: its selects list every governorate, district and sub-district, and Django
renders each of their 350 options from a template, most of a table page's time. Cached like the map
data (settlements.caching): without Redis it is rendered every time, and the page still answers."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from settlements.caching import cached, parameters_key

register = template.Library()


@register.simple_tag(takes_context=True)
def filter_form(context) -> str:
    request, filterset = context["request"], context["filter"]
    items = [(key, value) for key, values in request.GET.lists() if key not in ("page", "export") for value in values]
    parameters = f"{type(filterset).__name__}:{parameters_key(request.path, items)}"
    html = cached(
        "filter-form",
        parameters,
        lambda: render_to_string("_filter_form.html", {"filter": filterset}, request=request),
        per_language=True,
    )
    return mark_safe(html)  # noqa: S308 (our own template's output, escaped as it rendered)
