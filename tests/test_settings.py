"""Production refuses insecure settings; development and deploy checks behave."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

GOOD_SECRET = "k3J9-vQ2p_Lr8sT1wX5yZ0aB4cD6eF7gH8iJ2kL3mN4oP5qR6sT7uV8wX9yZ0aB1c"


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="0", ALLOWED_HOSTS="catalog.example.kr")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_the_development_secret_key():
    result = run_manage(
        "check",
        DEBUG="0",
        SECRET_KEY="django-insecure-development-only-key-never-use-in-production",
        ALLOWED_HOSTS="catalog.example.kr",
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_manage("check", DEBUG="0", SECRET_KEY="short", ALLOWED_HOSTS="x.example.kr")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_refuses_empty_allowed_hosts():
    result = run_manage("check", DEBUG="0", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS=" , ")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is empty" in result.stderr


def test_a_malformed_boolean_is_named_in_the_error():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_deploy_check_is_clean_under_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="catalog.example.kr",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_production_has_no_synthetic_data_command():
    production = {"DEBUG": "0", "SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "catalog.example.kr"}
    clean = {key: value for key, value in os.environ.items() if key != "SYNTHETIC_DATA"}
    result = subprocess.run(
        [sys.executable, "manage.py", "help", "--commands"],
        cwd=settings.BASE_DIR,
        env={**clean, **production},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "load_demo_data" in result.stdout
    assert "generate_synthetic" not in result.stdout


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("", "django.db.backends.sqlite3"),
        ("postgres://catalog@db:5432/catalog", "django.db.backends.postgresql"),
    ],
)
def test_database_comes_from_database_url(url, engine):
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == engine, result.stderr
