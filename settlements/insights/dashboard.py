"""The dashboard's figures that read every open request (seconds at a million), cached per data
version, and built by a worker after each write so that no coordinator waits for them.

`data_changed()` (caching.py) sends `settlements.warm_dashboard` once a write is committed; the task
builds what the dashboard's first visitor would: the headline figures (one picture for every
language), the most critical needs and the unfiltered trends. A task that finds the data changed again since it
was sent does nothing: the later one builds for the newer version.
"""

from django.urls import reverse

from settlements import selectors
from settlements.caching import cached, parameters_key
from settlements.insights import trends
from settlements.models import AidRequest, Settlement


def headline() -> dict:
    """The same in every language (names and labels are picked when shown): one entry for all."""
    return cached("dashboard", "figures", selectors.headline_figures)


def critical() -> list:
    return cached("dashboard", "critical", lambda: list(selectors.most_critical_needs()))


def unfiltered_trends() -> dict:
    """The trends of the dashboard as it first opens, with no filter (its cache key is the page's)."""
    return trends.filtered_trends(
        Settlement.objects.all(), AidRequest.objects.all(), parameters=parameters_key(reverse("home"), [])
    )


def warm() -> None:
    headline()
    critical()
    unfiltered_trends()
