"""Answers for when a service AidTrack depends on is briefly gone."""

import logging

import psycopg2
import psycopg2.errors
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Django wraps most driver errors in its own classes; rows streamed from a server-side cursor
# can still raise psycopg2's own.
CONNECTION_LOST = (OperationalError, InterfaceError, psycopg2.OperationalError, psycopg2.InterfaceError)
# A query past statement_timeout, or a lock not granted within lock_timeout.
TIMED_OUT = (psycopg2.errors.QueryCanceled, psycopg2.errors.LockNotAvailable)


class DatabaseUnavailableMiddleware:
    """A request whose database connection broke (PostgreSQL restarting, a connection cut) answers
    503 with Retry-After instead of a 500, and the broken connection is dropped so the next request
    opens a fresh one: the app recovers without a restart."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, CONNECTION_LOST):
            return None
        timed_out = isinstance(exception.__cause__ or exception, TIMED_OUT)
        log.warning("database %s for %s: %s", "timed out" if timed_out else "unavailable", request.path, exception)
        for connection in connections.all(initialized_only=True):
            connection.close_if_unusable_or_obsolete()
        response = HttpResponse(render_to_string("503.html", {"timed_out": timed_out}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


LANGUAGE_SESSION_KEY = "language"


class UserLanguageMiddleware:
    """Speaks the language a signed-in user chose, on any browser.

    The choice is stored on the account (UserPreference) and copied into the session at login
    (settlements.signals), so reading it costs no query. Without one, LocaleMiddleware's
    choice stands: the language cookie, then the browser's Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            language = request.session.get(LANGUAGE_SESSION_KEY) if hasattr(request, "session") else None
        except CONNECTION_LOST:
            # Sessions live in PostgreSQL: the view will meet the same lost connection and answer 503.
            language = None
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
