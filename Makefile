# AidTrack: `make run` sets everything up and starts it; `make test` sets up and runs the suite.
# Every target is safe to repeat and skips work that is already done.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# DEBUG is off unless set (production's default); these local targets run with it on.
export DEBUG ?= 1

.PHONY: run test bench backup restore setup system venv assets database static messages lint check pytest clean

run: setup
	$(MANAGE) load_gazetteer
	$(MANAGE) load_demo_data
	$(MANAGE) import_settlement_list settlements/data/samples/settlement-list-2017-09-11.csv
	$(MANAGE) import_settlement_list settlements/data/samples/settlement-list-2017-09-12.csv
	$(MANAGE) import_settlement_list settlements/data/samples/settlement-list-2017-09-13-ru.csv
	$(MANAGE) import_settlement_list settlements/data/samples/settlement-list-2017-09-14.csv
	$(MANAGE) create_demo_admin
	@echo "AidTrack on http://127.0.0.1:8000 (Ctrl-C stops web, worker and beat)"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

test: setup lint check pytest

# Benchmarks run against their own database (aidtrack_bench) and write bench/results/*.json.
bench: setup
	@scripts/ensure-system.sh --bench
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/import_days_bench.py
	$(BIN)/python bench/gazetteer_bench.py
	$(BIN)/python bench/map_bench.py
	$(BIN)/python bench/tables_bench.py
	$(BIN)/python bench/dashboard_bench.py
	$(BIN)/python bench/coordination_bench.py
	$(BIN)/python bench/matching_eval.py
	$(BIN)/python bench/report.py

# Backups of the whole database (docs/OPERATIONS.md): `make backup [BACKUP_DIR=...]`, and
# `make restore FILE=... [FORCE=1]` into the database DATABASE_URL names.
backup: venv
	$(MANAGE) backup_database $(if $(BACKUP_DIR),--dir "$(BACKUP_DIR)")

restore: venv
	@test -n "$(FILE)" || { echo "make restore FILE=path/to/backup.dump [FORCE=1]"; exit 2; }
	$(MANAGE) restore_database "$(FILE)" $(if $(filter 1 yes true,$(FORCE)),--force)

setup: system venv database static messages

system:
	@scripts/ensure-system.sh

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

database: venv
	$(MANAGE) ensure_database
	$(MANAGE) migrate --noinput

# Browser libraries from the npm registry, served from static/vendor/ (never from a CDN).
assets: static/vendor/.installed

static/vendor/.installed: package.json package-lock.json scripts/vendor-assets.sh
	scripts/vendor-assets.sh

static: venv assets
	$(MANAGE) collectstatic --noinput --verbosity 0

# The interface's Arabic and Russian catalogues (locale/*.po) compiled for gettext.
messages: venv
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules --ignore=var --verbosity 0

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: venv
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

pytest: venv
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var node_modules static/vendor
