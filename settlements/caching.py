"""Cached map and table data, keyed on a data version that every write bumps.

A cached response never has to be found and deleted: a write bumps the version, and the
next read builds under the new key while the old entries expire on their own. When Redis
is down, reads build every response afresh and writes carry on; nothing fails for it.
"""

import gzip
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

DATA_VERSION_KEY = "data-version"
log = logging.getLogger(__name__)


def data_changed() -> None:
    """Bump the version that cached map and table data are keyed on, so they are rebuilt, and have a
    worker rebuild the dashboard's figures for it (insights/dashboard.py)."""
    try:
        version = cache.incr(DATA_VERSION_KEY)
    except ValueError:  # no version yet, or it expired: start from a value no earlier version had
        version = time.time_ns()
        cache.set(DATA_VERSION_KEY, version, None)
    except Exception:  # Redis down: cached data expires on its own; the write itself has succeeded
        log.warning("could not bump the cached data version", exc_info=True)
        return
    _send_warming(version)


def _send_warming(version: int) -> None:
    """Queue the dashboard's rebuild; a broker that is down costs the next visitor the wait, not the write."""
    from celery import current_app

    try:
        current_app.send_task(
            "settlements.warm_dashboard",
            kwargs={"version": version},
            queue=settings.CACHE_WARMING_QUEUE or None,
            countdown=settings.CACHE_WARMING_DELAY,
            retry=False,
        )
    except Exception:
        log.warning("could not queue the dashboard's rebuild", exc_info=True)


def data_version() -> int | None:
    """The current data version, or None when it cannot be known (Redis down): then cache nothing."""
    try:
        version = cache.get(DATA_VERSION_KEY)
        if version is None:
            cache.add(DATA_VERSION_KEY, time.time_ns(), None)
            version = cache.get(DATA_VERSION_KEY)
    except Exception:
        log.warning("could not read the cached data version", exc_info=True)
        return None
    return version


def parameters_key(path: str, items) -> str:
    """A view's parameters as a cache key: its path, then (name, value) pairs in a fixed order, so
    equal views share an entry."""
    return f"{path}?" + "&".join(f"{key}={value}" for key, value in sorted(items))


def cache_key(namespace: str, parameters: str, version, *, per_language: bool = False) -> str:
    language = get_language() if per_language else "-"
    return f"{namespace}:{version}:{language}:{hashlib.sha256(parameters.encode()).hexdigest()[:32]}"


def cached(namespace: str, parameters: str, build, *, per_language: bool = False):
    """What `build()` returns, cached per data version and parameters (built afresh without Redis).

    `per_language`: the value holds text already in the interface language, so each language
    has its own entry. Lazy labels stay lazy in the cache and need no such split.
    """
    version = data_version()
    key = cache_key(namespace, parameters, version, per_language=per_language)
    value = None
    if version is not None:
        try:
            value = cache.get(key)
        except Exception:
            log.warning("could not read cached %s", namespace, exc_info=True)
    if value is None:
        value = build()
        if version is not None:
            try:
                cache.set(key, value, settings.MAP_DATA_CACHE_SECONDS)
            except Exception:
                log.warning("could not cache %s", namespace, exc_info=True)
    return value


def cached_gzip(namespace: str, parameters: str, build) -> tuple[bytes, str]:
    """The gzip-compressed text `build()` returns, cached, with a tag of its content (an ETag)."""
    body = cached(
        namespace, parameters, lambda: gzip.compress(build().encode(), compresslevel=settings.MAP_DATA_GZIP_LEVEL)
    )
    return body, hashlib.sha256(body).hexdigest()[:32]
