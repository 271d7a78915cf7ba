import os
import secrets
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_deployment import ENV_EXAMPLE


def load_settings(**env):
    """Import the settings in a fresh interpreter with exactly these variables."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import aidtrack.settings as s; print(s.DATABASES['default']['ENGINE'], s.TIME_ZONE)"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_development_needs_nothing_but_debug_on():
    result = load_settings(DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.contrib.gis.db.backends.postgis", "Asia/Damascus"]


def test_debug_is_off_unless_set():
    code = "import aidtrack.settings as s; print(s.DEBUG)"
    clean = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    clean["SECRET_KEY"] = secrets.token_urlsafe(50)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)

    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY must be set when DEBUG is off"),
        (
            {"DEBUG": "false", "SECRET_KEY": "aidtrack-development-key-not-for-production"},
            "SECRET_KEY is the development key",
        ),
        ({}, "SECRET_KEY must be set when DEBUG is off"),
        ({"DEBUG": "0", "SECRET_KEY": ENV_EXAMPLE["SECRET_KEY"]}, "SECRET_KEY is a placeholder"),
        ({"DEBUG": "0", "SECRET_KEY": "change-me" + "x" * 60}, "SECRET_KEY is a placeholder"),
        ({"DEBUG": "0", "SECRET_KEY": "django-insecure-" + "x" * 60}, "SECRET_KEY is a placeholder"),
        ({"DEBUG": "0", "SECRET_KEY": "s3cr3t-but-short"}, "SECRET_KEY is too weak"),
        ({"DEBUG": "0", "SECRET_KEY": "ab" * 40}, "SECRET_KEY is too weak"),
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://root@localhost/aidtrack"}, "DATABASE_URL must be a postgis"),
        ({"DEBUG": "1", "REDIS_URL": "localhost:6379"}, "REDIS_URL must be a redis"),
        ({"DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/cache"}, "REDIS_URL must end in a database number"),
        ({"DEBUG": "1", "TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE must be an IANA time zone"),
        ({"DEBUG": "1", "DB_CONN_MAX_AGE": "sixty"}, "DB_CONN_MAX_AGE must be an integer"),
        ({"DEBUG": "1", "SETTLEMENT_LIST_URL": "ftp://example.org/list.csv"}, "SETTLEMENT_LIST_URL must be"),
        ({"DEBUG": "1", "CSRF_TRUSTED_ORIGINS": "aidtrack.example.org"}, "CSRF_TRUSTED_ORIGINS entries must"),
        ({"DEBUG": "1", "EMAIL_URL": "ftp://mail.example.org"}, "EMAIL_URL must be an smtp://"),
        ({"DEBUG": "1", "EMAIL_URL": "smtp://u:secret@mail.example.org:none"}, "EMAIL_URL is not a mail URL"),
        ({"DEBUG": "1", "SITE_URL": "aidtrack.example.org"}, "SITE_URL must be a http/https URL"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(env, message):
    result = load_settings(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_mail_settings_come_from_one_email_url_or_the_usual_variables():
    names = ["EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS", "EMAIL_USE_SSL"]
    code = f"import aidtrack.settings as s; print('|'.join(str(getattr(s, n)) for n in {names!r}))"

    def mail(**env):
        clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
        clean.update(DEBUG="1", **env)
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().split("|")

    smtp = "django.core.mail.backends.smtp.EmailBackend"
    assert mail(EMAIL_URL="smtp://aid:pw@mail.example.org:587/?tls=True") == [
        smtp,
        "mail.example.org",
        "587",
        "aid",
        "True",
        "False",
    ]
    assert mail(EMAIL_HOST="relay.example.org", EMAIL_PORT="465", EMAIL_USE_SSL="yes") == [
        smtp,
        "relay.example.org",
        "465",
        "",
        "False",
        "True",
    ]
    assert mail()[0] == "django.core.mail.backends.console.EmailBackend"  # DEBUG on and nothing set


def test_production_starts_with_a_real_secret_key():
    result = load_settings(DEBUG="off", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="aidtrack.example.org")

    assert result.returncode == 0, result.stderr


def test_cache_and_broker_live_on_separate_redis_databases():
    from django.conf import settings

    cache_db = settings.CACHES["default"]["LOCATION"].rsplit("/", 1)[1]
    broker_db = settings.CELERY_BROKER_URL.rsplit("/", 1)[1]
    result_db = settings.CELERY_RESULT_BACKEND.rsplit("/", 1)[1]

    assert len({cache_db, broker_db, result_db}) == 3


def test_every_connection_is_opened_with_bounds_on_its_work():
    code = "import aidtrack.settings as s; print(s.DATABASES['default']['OPTIONS']['options'])"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "WEB_"))}
    long_ones = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    web = subprocess.run(  # what a gunicorn worker imports, after gunicorn.conf.py has run
        [sys.executable, "-c", f"import runpy; runpy.run_path('gunicorn.conf.py'); {code}"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )

    assert long_ones.stdout.split() == [
        "-c",
        "statement_timeout=1800000",
        "-c",
        "lock_timeout=300000",
        "-c",
        "idle_in_transaction_session_timeout=600000",
        "-c",
        "jit=off",
    ]
    assert web.stdout.split() == [
        "-c",
        "statement_timeout=30000",
        "-c",
        "lock_timeout=5000",
        "-c",
        "idle_in_transaction_session_timeout=60000",
        "-c",
        "jit=off",
    ], web.stderr
    jit = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, "DB_JIT": "1"}, capture_output=True, text=True
    )
    assert jit.stdout.split()[-2:] == ["-c", "jit=on"], jit.stderr


@pytest.mark.django_db
def test_postgresql_compiles_no_query_on_aidtrack_s_connections():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
