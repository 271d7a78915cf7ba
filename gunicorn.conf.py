"""How gunicorn serves AidTrack, wherever it runs: the image, docker-compose and the tests all start
`gunicorn aidtrack.wsgi`, and gunicorn reads this file from the working directory.

Threads, not sync workers: a request waiting on PostgreSQL or streaming a large export holds one
thread, so `/healthz` and the map keep answering beside it. Sizes come from the CPU count and can
be set with WEB_CONCURRENCY (worker processes), WEB_THREADS (threads each) and WEB_TIMEOUT.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value.strip() else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {value!r}") from None


# A page's queries are bounded tightly; workers and imports keep settings' long defaults. Set here,
# before the workers load Django, so each web connection is opened with them.
os.environ["DB_STATEMENT_TIMEOUT"] = str(_int("WEB_STATEMENT_TIMEOUT", 30))
os.environ["DB_LOCK_TIMEOUT"] = str(_int("WEB_LOCK_TIMEOUT", 5))
os.environ["DB_IDLE_IN_TRANSACTION_TIMEOUT"] = str(_int("WEB_IDLE_IN_TRANSACTION_TIMEOUT", 60))

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)
threads = _int("WEB_THREADS", 4)
# A worker takes a connection only while it has a thread free for it: otherwise a worker whose
# threads all stream exports would queue /healthz behind them while another worker sits idle.
worker_connections = threads
# A worker that stops answering its arbiter this long is restarted; with threads a slow request
# does not count against it, only a stuck process does.
timeout = _int("WEB_TIMEOUT", 60)
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)  # a deploy lets running requests finish this long
keepalive = 5
# Fresh processes now and then, so no slow leak outlives a day's traffic.
max_requests = _int("WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# Django writes the one line per request (aidtrack.logs, with the user and the time taken), so
# gunicorn's own access log stays off; its start-up and worker messages go to stdout, as JSON
# too with LOG_FORMAT=json.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "aidtrack.logs.json_formatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False}},
    }
# The proxy in front (see AXES_PROXY_COUNT) may set X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# AidTrack is loaded once, in the arbiter, and each worker is a fork of it: a worker replaced
# after max_requests starts in milliseconds instead of importing Django again (a second of CPU,
# taken from the workers answering meanwhile, on a small machine).
preload_app = True


def when_ready(server):
    """In the arbiter, with AidTrack loaded and no worker forked yet: import the views too (so the
    workers share them), leave no database connection to be shared by the forks, and move every
    object so far out of the garbage collector's sight (gc.freeze). Otherwise each full collection
    in a worker walks the whole of Django again, pausing all its threads for a tenth of a second
    or more, and dirties the memory the workers share."""
    import gc

    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    connections.close_all()
    gc.collect()
    gc.freeze()
