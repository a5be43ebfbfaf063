"""Every migration of the project's apps can be undone: back to zero and forward again."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from catalog.search import SQLITE_FTS_TABLE

PROJECT_APPS = ("catalog", "analysis", "releases")
ROLES = {"편집자", "검토자", "관리자"}


def test_every_operation_has_reverse_code():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    irreversible = [
        f"{app}.{name}: {operation.describe()}"
        for (app, name), migration in loader.disk_migrations.items()
        if app in PROJECT_APPS
        for operation in migration.operations
        if not operation.reversible
    ]
    assert irreversible == []


def migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


def latest() -> list[tuple[str, str]]:
    return [key for key in MigrationLoader(connection).graph.leaf_nodes() if key[0] in PROJECT_APPS]


def schema() -> dict[str, list[str]]:
    """The project's tables (SQLite's search table included) with their constraints and
    indexes, and on SQLite the triggers that keep the search table in step."""
    names = [
        table
        for table in connection.introspection.table_names()
        if table.startswith(PROJECT_APPS) and not table.startswith(f"{SQLITE_FTS_TABLE}_")
    ]
    with connection.cursor() as cursor:
        found = {
            table: sorted(connection.introspection.get_constraints(cursor, table))
            for table in names
        }
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            found["triggers"] = sorted(row[0] for row in cursor.fetchall())
    return found


def roles() -> dict[str, set[str]]:
    return {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.all()
    }


@pytest.fixture(scope="module")
def data_other_tests_expect(django_db_setup, django_db_blocker):
    """The test below ends with every table emptied, as transactional tests end. Afterwards
    this puts back what every other test finds: the staff roles, made again by running
    0004_staff_roles, and the reference data."""
    yield
    with django_db_blocker.unblock():
        migrate([("catalog", "0003_review_history_assignments")])
        migrate(latest())
        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
        call_command("load_reference_data", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_project_apps_migrate_to_zero_and_back(data_other_tests_expect):
    target = latest()
    before, roles_before = schema(), roles()
    assert SQLITE_FTS_TABLE in before or connection.vendor != "sqlite"
    assert set(roles_before) == ROLES

    migrate([(app, None) for app in PROJECT_APPS])
    assert schema() in ({}, {"triggers": []})
    assert not Group.objects.filter(name__in=ROLES).exists()

    migrate(target)
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert schema() == before
    # 관리자 gets every permission that exists when 0004 runs: now also those of later models.
    roles_after = roles()
    assert set(roles_after) == ROLES
    assert all(roles_after[name] >= permissions for name, permissions in roles_before.items())
