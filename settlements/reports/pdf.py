"""HTML to PDF with WeasyPrint, reading AidTrack's own static files (its stylesheet and fonts) from
disk and nothing else: no request leaves the server while a report is printed.

WeasyPrint (with Pango and its fonts) takes 0.7 s to import, so it is imported when a report is
first printed, not by every process that starts Django.
"""

import functools
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings

BASE_URL = "file:///"  # /static/... in the page resolves to file:///static/..., which the fetcher reads from disk


def static_folders() -> list[Path]:
    folders = [Path(settings.STATIC_ROOT)] if settings.STATIC_ROOT else []
    folders += [Path(entry if isinstance(entry, str | Path) else entry[1]) for entry in settings.STATICFILES_DIRS]
    return [folder.resolve() for folder in folders]


def is_static(url: str) -> bool:
    """A /static/ URL, or a file in a static folder (a stylesheet's fonts, relative to it)."""
    if not url.startswith("file:"):
        return False
    path = unquote(urlparse(url).path)
    return path.startswith(settings.STATIC_URL) or any(
        Path(path).resolve().is_relative_to(folder) for folder in static_folders()
    )


@functools.cache
def _fetcher_class():
    from django_weasyprint.utils import DjangoURLFetcher

    class StaticFilesOnly(DjangoURLFetcher):
        """django-weasyprint's fetcher (static files from disk, hashed names included), for
        AidTrack's static files only."""

        def fetch(self, url, headers=None):
            if not is_static(url):
                raise ValueError(f"a report may load only AidTrack's static files, not {url[:200]}")
            return super().fetch(url, headers)

    return StaticFilesOnly


def render_pdf(html: str) -> bytes:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher_class()())
    return document.write_pdf(font_config=FontConfiguration())
