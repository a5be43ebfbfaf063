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
.PHONY: bench

help:
	@echo "make run     install, migrate, load reference + demo data, analyse, serve on http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite (SQLite unless DATABASE_URL is set)"
	@echo "make lint    ruff lint and format check"

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
	$(DEV) $(BIN)/python manage.py makemessages -l en --no-location --no-obsolete --ignore=.venv --ignore=tests
	$(DEV) $(BIN)/python manage.py compilemessages --ignore=.venv

# Benchmark at 100,000 synthetic services on PostgreSQL (creates catalog_bench; needs psql and wrk).
bench: install
	$(BIN)/python bench/run.py
