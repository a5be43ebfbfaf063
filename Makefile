# 스마트도시 서비스 카탈로그 — developer commands. A new machine needs only `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Local commands run with development settings; production sets DEBUG=0 and real secrets.
DEV := DEBUG=1

.PHONY: help install run serve migrate load-data test lint format check-migrations messages clean
.PHONY: bench test-browser audit backup restore

help:
	@echo "make run     install, migrate, load reference + demo data, analyse, serve on http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite (SQLite unless DATABASE_URL is set)"
	@echo "make lint    ruff lint and format check"
	@echo "make test-browser  real-browser journeys in Debian's Chromium"
	@echo "make backup [FILE=…] / make restore FILE=…  lossless copy of every table"
	@echo "make audit   known vulnerabilities in the pinned dependencies (pip-audit)"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(DEV) $(BIN)/python manage.py migrate --noinput

load-data: migrate
	$(DEV) $(BIN)/python manage.py load_reference_data
	$(DEV) $(BIN)/python manage.py load_demo_data
	$(DEV) $(BIN)/python manage.py find_duplicates

run: load-data serve

serve: install
	$(DEV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest -n 2

# Browser journeys drive Debian's Chromium (Playwright cannot download its own browsers here).
# Screenshots of a failing journey are kept in test-results/ (with CJK fonts, so they are legible).
test-browser: install
	@command -v chromium >/dev/null || apt-get install -y -qq chromium >/dev/null
	@dpkg -s fonts-noto-cjk >/dev/null 2>&1 || apt-get install -y -qq fonts-noto-cjk >/dev/null
	$(BIN)/python -m pytest -m browser tests/browser --screenshot only-on-failure --output test-results

audit: install
	$(BIN)/python bin/audit_dependencies.py

BACKUP_FILE ?= backups/catalog-$(shell date +%Y%m%d-%H%M%S).json.gz
backup: migrate
	$(DEV) $(BIN)/python manage.py backup_catalog $(or $(FILE),$(BACKUP_FILE))

restore: migrate
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/….json.gz"; exit 2; }
	$(DEV) $(BIN)/python manage.py restore_catalog $(FILE)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: install
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache *.egg-info

messages: install
	$(DEV) $(BIN)/python manage.py makemessages -l en --no-location --no-obsolete --ignore=.venv --ignore=tests --ignore=bench
	$(DEV) $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=bench

# Benchmark at 100,000 synthetic services on PostgreSQL (creates catalog_bench; needs psql and wrk).
bench: install
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
	$(BIN)/python bench/run.py
