"""A real AidTrack server on the bench database, for benchmarks that go through HTTP.

It runs as production does (DEBUG off, static files collected with their manifest and served by
WhiteNoise), but over plain HTTP: the TLS proxy in front of production is not what is measured."""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from common import ENV, ROOT

STATIC_ROOT = ROOT / "var" / "bench-static"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with `workers` processes and `threads` threads each, as production runs it."""

    def __init__(self, workers: int = 3, threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "aidtrack.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
        ]
        self.command += [
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ]

    def __enter__(self):
        env = {
            **ENV,
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "STATIC_ROOT": str(STATIC_ROOT),
            "DB_CONN_MAX_AGE": "60",
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=env)  # noqa: S603
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2)  # noqa: S310 (our own local server)
                return self
            except urllib.error.HTTPError:  # 503 while no Celery worker runs: the web server is up
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def logged_in_session(username: str = "bench") -> str:
    """A session key for `username`, as a browser gets by logging in."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key
