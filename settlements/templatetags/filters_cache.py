"""The filter form's cache key: the form is the same for everyone who asks for the same filters in
the same language while the data stays as it is (its selects list every governorate, district and
sub-district, and Django renders each of their 350 options from a template: most of a table page's time)."""

from django import template

from settlements.caching import data_version, parameters_key

register = template.Library()


@register.simple_tag(takes_context=True)
def filters_key(context) -> str:
    request, filterset = context["request"], context["filter"]
    items = [(key, value) for key, values in request.GET.lists() if key not in ("page", "export") for value in values]
    return f"{type(filterset).__name__}:{data_version()}:{parameters_key(request.path, items)}"
