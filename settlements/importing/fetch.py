"""Get a daily list's bytes from a path or from the configured source URL, within limits: its size,
each read's timeout and a deadline for the whole download, retries and redirects included."""

import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


class FetchError(Exception):
    """The list could not be fetched; worth trying again later."""


class SourceRefused(ValueError):
    """The source is not one AidTrack may read from; retrying will not help."""


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def check_url_allowed(url: str) -> None:
    """Only the origin (scheme, host and port) of the configured list or of a list source may be fetched."""
    from settlements.sources.selectors import allowed_origins

    configured = settings.SETTLEMENT_LIST_URL
    origins = allowed_origins() | ({_origin(configured)} if configured else set())
    if not origins:
        raise SourceRefused("Fetching a list by URL needs SETTLEMENT_LIST_URL or a list source to name the source.")
    if _origin(url) not in origins:
        raise SourceRefused(
            f"{url} is not on the configured list source ({configured or 'none'}) or a list source's host."
        )


def check_queued_source(source: str, list_source=None) -> None:
    """What a queued import (a task in the schedule, editable in the admin) may read: the configured
    list's URL or its list source's, or a file in the uploads folder (where the upload page keeps
    what staff uploaded or fetched). The command line, run by an operator, reads any path."""
    if source.startswith(("http://", "https://")):
        if source not in (settings.SETTLEMENT_LIST_URL, list_source.list_url if list_source else ""):
            raise SourceRefused(f"{source} is not the configured list (SETTLEMENT_LIST_URL) or its source's URL.")
        return
    folder = Path(settings.IMPORT_UPLOAD_DIR).resolve()
    if not Path(source).resolve().is_relative_to(folder):
        raise SourceRefused(f"{source} is not in the uploads folder ({folder}, IMPORT_UPLOAD_DIR).")


def _too_big(size: int) -> str:
    cap = settings.IMPORT_MAX_BYTES
    return f"The list is larger than the {cap / 1_000_000:g} MB limit (IMPORT_MAX_BYTES); got {size:,} bytes."


def read_path(path: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise SourceRefused(f"No file at {path}.")
    if file.stat().st_size > settings.IMPORT_MAX_BYTES:
        raise SourceRefused(_too_big(file.stat().st_size))
    return file.read_bytes()


def _session() -> requests.Session:
    retry = Retry(
        total=settings.IMPORT_FETCH_RETRIES,
        backoff_factor=settings.IMPORT_FETCH_BACKOFF,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET",),
        redirect=0,
        raise_on_status=False,
    )
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def fetch_url(url: str) -> bytes:
    check_url_allowed(url)
    deadline = time.monotonic() + settings.IMPORT_FETCH_DEADLINE
    # Redirects are followed by hand so that each hop is checked against the configured source.
    with _session() as session:
        for _hop in range(5):
            _check_deadline(url, deadline)
            try:
                response = session.get(url, timeout=settings.IMPORT_FETCH_TIMEOUT, stream=True, allow_redirects=False)
            except requests.RequestException as exc:
                raise FetchError(f"Could not fetch {url}: {exc.__class__.__name__}: {exc}") from exc
            if response.is_redirect:
                url = requests.compat.urljoin(url, response.headers["Location"])
                check_url_allowed(url)
                continue
            if response.status_code != 200:
                raise FetchError(f"{url} answered HTTP {response.status_code}.")
            try:
                return _read_capped(response, url, deadline)
            except requests.RequestException as exc:
                raise FetchError(f"Reading {url} failed: {exc.__class__.__name__}: {exc}") from exc
    raise FetchError(f"{url} redirected too many times.")


def _check_deadline(url: str, deadline: float) -> None:
    if time.monotonic() > deadline:
        raise FetchError(f"Fetching {url} took longer than {settings.IMPORT_FETCH_DEADLINE} s (IMPORT_FETCH_DEADLINE).")


def _read_capped(response: requests.Response, url: str, deadline: float) -> bytes:
    declared = int(response.headers.get("Content-Length") or 0)
    if declared > settings.IMPORT_MAX_BYTES:
        raise SourceRefused(_too_big(declared))
    chunks, size = [], 0
    # read1 returns what one socket read brings (each bounded by IMPORT_FETCH_TIMEOUT), so a server
    # trickling bytes meets the deadline between reads.
    while chunk := response.raw.read1(64 * 1024, decode_content=True):
        _check_deadline(url, deadline)
        size += len(chunk)
        if size > settings.IMPORT_MAX_BYTES:
            raise SourceRefused(_too_big(size))
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(source: str, *, queued: bool = False, list_source=None) -> bytes:
    if queued:
        check_queued_source(source, list_source)
    if source.startswith(("http://", "https://")):
        return fetch_url(source)
    return read_path(source)
