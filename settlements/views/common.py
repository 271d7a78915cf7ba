"""What every page and data endpoint shares: access, filters, compressed cached data."""

import csv
import gzip

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import BadRequest
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers

from settlements.caching import cached_gzip, parameters_key


def can_view(model: str):
    """Login required, then the view permission on `model` (coordinators and staff have it)."""

    def decorate(view):
        return login_required(permission_required(f"settlements.view_{model}", raise_exception=True)(view))

    return decorate


def filtered(filterset_class, request, queryset, *, strict: bool = True):
    """The filterset for the request's parameters.

    A parameter that means nothing must never be dropped silently (an export would then hold
    more than was asked for): data endpoints answer 400 (`strict`); pages show the form's
    errors over an empty result.
    """
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    if not filterset.is_valid():
        if strict:
            problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items())
            raise BadRequest(problems)
        filterset.queryset = queryset.none()
    return filterset


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    """A small CSV download built in memory (a chart's figures and dates: no text to neutralise)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def canonical_parameters(request, ignore=("export",)) -> str:
    """The query string with its parameters in a fixed order, so equal views share a cache entry."""
    items = [(key, value) for key, values in request.GET.lists() if key not in ignore for value in values]
    return parameters_key(request.path, items)


def cached_json(request, namespace: str, build, content_type="application/json", ignore=("export",)) -> HttpResponse:
    """JSON built by `build()`, cached per data version and query (but for the parameters `ignore`
    names, which the namespace then carries), sent gzip-compressed when accepted."""
    body, tag = cached_gzip(namespace, canonical_parameters(request, ignore=ignore), build)
    etag = f'"{tag}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(body, content_type=content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(body), content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Accept-Encoding", "Cookie"])
    return response
