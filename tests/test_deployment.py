"""Docker cannot run here, so these read docker-compose.yml and check it against the project."""

import importlib
import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from django.core.management import get_commands

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "worker", "beat"]
SETTINGS_SOURCE = (ROOT / "aidtrack" / "settings.py").read_text()
ENV_EXAMPLE = dict(
    line.split("=", 1)
    for line in (ROOT / ".env.example").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)


def test_it_defines_the_production_services():
    assert set(SERVICES) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert "postgis" in SERVICES["db"]["image"]
    assert SERVICES["redis"]["image"].startswith("redis:")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_share_one_image_built_from_the_project_dockerfile(name):
    service = SERVICES[name]
    assert service["build"] == "."
    assert service["image"] == "aidtrack:latest"
    assert (ROOT / "Dockerfile").is_file()


def test_commands_refer_to_code_that_exists():
    module, attribute = SERVICES["web"]["command"][1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute))
    for name in ("worker", "beat"):
        command = SERVICES[name]["command"]
        assert command[:3] == ["celery", "-A", "aidtrack"]
        assert hasattr(importlib.import_module("aidtrack.celery"), "app")
    assert SERVICES["migrate"]["command"][1] == "manage.py"
    assert SERVICES["migrate"]["command"][2] in get_commands()


def test_every_variable_the_services_set_is_one_the_settings_read():
    names = set(SERVICES["web"]["environment"]) | (set(ENV_EXAMPLE) - {"POSTGRES_PASSWORD"})
    for name in names:
        assert f'"{name}"' in SETTINGS_SOURCE, f"{name} is set for the containers but never read by settings"


def test_every_interpolated_variable_is_in_the_example_env_file():
    text = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"(?<!\$)\$\{(\w+)\}", text))
    assert interpolated <= set(ENV_EXAMPLE)
    assert "SECRET_KEY" in ENV_EXAMPLE
    assert ENV_EXAMPLE["DEBUG"] == "0"


@pytest.mark.parametrize("name", ["db", "redis", "web", "worker", "beat"])
def test_every_long_running_service_has_a_healthcheck(name):
    assert SERVICES[name]["healthcheck"]["test"]


def test_the_database_lives_on_a_named_volume():
    volume = SERVICES["db"]["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"]


def test_workers_can_be_scaled_without_name_or_port_clashes():
    worker = SERVICES["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker


def test_redis_evicts_only_expiring_keys_so_broker_queues_survive_memory_pressure():
    command = SERVICES["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1].startswith("volatile-")


def test_the_image_and_compose_serve_with_the_one_gunicorn_configuration():
    dockerfile = (ROOT / "Dockerfile").read_text()
    command = ["gunicorn", "aidtrack.wsgi:application"]  # everything else comes from gunicorn.conf.py

    assert SERVICES["web"]["command"] == command
    assert f"CMD {json.dumps(command)}" in dockerfile
    assert (ROOT / "gunicorn.conf.py").is_file() and "COPY . ." in dockerfile


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"worker_class": "gthread", "workers": os.cpu_count() + 1, "threads": 4, "timeout": 60}),
        (
            {"WEB_CONCURRENCY": "5", "WEB_THREADS": "8", "WEB_TIMEOUT": "90"},
            {"worker_class": "gthread", "workers": 5, "threads": 8, "timeout": 90},
        ),
    ],
)
def test_gunicorn_sizes_itself_from_the_cpus_or_the_environment(env, expected):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEB_")}
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "aidtrack.wsgi:application"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", printed, re.MULTILINE))

    assert {name: config[name] for name in expected} == {name: str(value) for name, value in expected.items()}
    assert (config["accesslog"], config["errorlog"]) == ("None", "-")  # requests: one line each, from Django


def test_web_and_workers_share_the_folders_one_writes_and_the_other_reads():
    """A worker builds a large export that web hands out; web keeps an upload that a worker imports."""
    for folder in ("exports", "uploads"):
        mounts = {name: set(SERVICES[name].get("volumes", [])) for name in ("web", "worker")}
        assert all(f"{folder}:/app/var/{folder}" in mounted for mounted in mounts.values()), mounts
        assert folder in COMPOSE["volumes"]
    assert "mkdir -p /app/var/exports /app/var/uploads" in (ROOT / "Dockerfile").read_text()


def test_every_variable_the_code_reads_is_documented_in_the_readme():
    readers = r'(?:envint|envbool|envlist|envurl|os\.environ\.get|_int)\("([A-Z][A-Z0-9_]+)"'
    sources = [SETTINGS_SOURCE, (ROOT / "gunicorn.conf.py").read_text()]
    names = {name for source in sources for name in re.findall(readers, source)}
    readme = (ROOT / "README.md").read_text()

    assert len(names) > 50
    assert sorted(name for name in names if f"`{name}`" not in readme) == []


def test_gunicorn_loads_aidtrack_once_and_freezes_it_out_of_the_garbage_collector_before_forking():
    """preload_app, then the when_ready hook (in the arbiter, before any fork): every view imported,
    and the objects loaded so far frozen, so full collections in the workers skip Django's own."""
    script = """
import gc, runpy, sys
import django
django.setup()
config = runpy.run_path("gunicorn.conf.py")
before = gc.get_freeze_count()
config["when_ready"](None)
print(config["preload_app"], before, gc.get_freeze_count(), "settlements.views.tables" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    preload, before, frozen, views = out.split()

    assert (preload, before, views) == ("True", "0", "True")
    assert int(frozen) > 100_000  # Django, AidTrack and their libraries
