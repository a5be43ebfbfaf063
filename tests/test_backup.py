"""backup_catalog and restore_catalog: a lossless round trip, all or nothing."""

import gzip
import io
import json

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from analysis.models import ClusterMember, IdeaCluster, NotSameIdea
from catalog import revision
from catalog.backup import migration_state
from catalog.models import (
    CatalogRevision,
    Category,
    EditorAssignment,
    Municipality,
    Plan,
    Service,
)
from catalog.search import apply_search, parse_query

pytestmark = pytest.mark.django_db

QUERIES = ["주차", "가로등", "cctv", "안전"]


def backed_up_models():
    """What a backup must hold, named here independently of catalog.backup: everything but
    the catalog's revision number, which only ever moves forward."""
    return [
        Group,
        User,
        LogEntry,
        *(m for m in apps.get_app_config("catalog").get_models() if m is not CatalogRevision),
        *apps.get_app_config("analysis").get_models(),
    ]


def columns(model, skip_pk=False):
    """Every column; content types and permissions, which migrate numbers anew, by name."""
    for field in model._meta.concrete_fields:
        if field.related_model is ContentType:
            yield from (f"{field.name}__app_label", f"{field.name}__model")
        elif field.related_model is Permission:
            yield f"{field.name}__codename"
            yield from (
                f"{field.name}__content_type__app_label",
                f"{field.name}__content_type__model",
            )
        elif not (skip_pk and field.primary_key):
            yield field.attname


def fingerprint() -> dict[str, list[tuple]]:
    """Every value of every row of those tables, by primary key, and their links."""
    tables = {}
    for model in backed_up_models():
        rows = model._base_manager.order_by("pk").values_list(*columns(model))
        tables[model._meta.label_lower] = list(rows)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            links = through._base_manager.values_list(*columns(through, skip_pk=True))
            tables[through._meta.label_lower] = sorted(links)
    return tables


def counts(report: str) -> list[str]:
    return [line for line in report.splitlines() if line.startswith("  ")]


def search_results() -> dict[str, list[int]]:
    return {
        query: sorted(apply_search(Service.objects.all(), parse_query(query)).values_list("pk"))
        for query in QUERIES
    }


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *map(str, args), stdout=out)
    return out.getvalue()


@pytest.fixture
def populated(demo_data):
    """Reference and demo data, a duplication run with curation, history, a staff member
    with a role, a permission of their own and an assignment, and an admin log entry."""
    call_command("find_duplicates", stdout=io.StringIO())
    editor = User.objects.create_user("editor", email="editor@example.kr", is_staff=True)
    editor.groups.add(Group.objects.get(name="편집자"))
    editor.user_permissions.add(Permission.objects.get(codename="publish_service"))
    EditorAssignment.objects.create(
        user=editor, municipality=Municipality.objects.get(code="41280")
    )
    service = Service.objects.order_by("pk").first()
    service.description += " 보완"
    service.save()
    cluster = IdeaCluster.objects.order_by("pk").first()
    cluster.is_confirmed, cluster.confirmed_by = True, editor
    cluster.save()
    first, second = Service.objects.order_by("pk")[:2]
    NotSameIdea.record(first, second, editor, "서로 다른 서비스")
    LogEntry.objects.create(
        user=editor,
        content_type=ContentType.objects.get_for_model(Service),
        object_id=str(service.pk),
        object_repr=str(service),
        action_flag=CHANGE,
        change_message="설명 보완",
    )


def change_everything():
    """Edits of the kinds a restore must undo: added, changed and deleted rows and links."""
    parking = apply_search(Service.objects.all(), parse_query("주차")).order_by("pk").first()
    parking.delete()
    plan = Plan.objects.create(municipality=Municipality.objects.get(code="11000"), title="새 계획")
    Service.objects.create(
        plan=plan,
        name="스마트 주차 가로등 안전 CCTV",
        category=Category.objects.get(code="transport"),
        source_page="3",
        is_published=True,
    )
    editor = User.objects.get(username="editor")
    editor.groups.set([Group.objects.get(name="검토자")])
    Group.objects.create(name="임시")
    ClusterMember.objects.order_by("pk").first().delete()
    EditorAssignment.objects.all().delete()


def test_restore_brings_back_every_row_and_value(populated, tmp_path):
    path = tmp_path / "catalog.json.gz"
    before, found_before = fingerprint(), search_results()
    report = run("backup_catalog", path)
    change_everything()
    assert fingerprint() != before
    assert search_results() != found_before

    run("restore_catalog", path, "--replace")

    assert fingerprint() == before
    assert search_results() == found_before
    assert all(found_before.values())
    assert "catalog.historicalservice_tags" in report


def test_restore_moves_the_catalog_revision_forward(populated, tmp_path):
    path = tmp_path / "catalog.json.gz"
    call_command("backup_catalog", str(path), stdout=io.StringIO())
    before = revision.current()
    call_command("restore_catalog", str(path), "--replace", stdout=io.StringIO())
    assert revision.current() > before


def test_backup_holds_every_row_of_every_table(populated, tmp_path):
    path = tmp_path / "catalog.json.gz"
    run("backup_catalog", path)
    with gzip.open(path, "rt", encoding="utf-8") as file:
        document = json.load(file)
    held = {model._meta.label_lower: model._base_manager.count() for model in backed_up_models()}
    assert document["counts"] == {label: count for label, count in held.items() if count}
    assert len(document["objects"]) == sum(held.values())
    assert document["migrations"] == migration_state()
    assert document["migrations"]["catalog"]


@pytest.fixture
def emptied_database():
    """Every table emptied, sequences restarted, content types and permissions made anew (in
    other ids), as in a database that was just migrated."""

    def empty():
        tables = connection.introspection.django_table_names(only_existing=True)
        connection.check_constraints()  # PostgreSQL truncates no table with checks pending
        with connection.cursor() as cursor:
            for statement in connection.ops.sql_flush(no_style(), tables, reset_sequences=True):
                cursor.execute(statement)
        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)

    yield empty
    ContentType.objects.clear_cache()  # it holds the ids the test's rollback takes away


def test_restore_into_an_empty_database_leaves_room_for_new_rows(
    populated, tmp_path, emptied_database
):
    path = tmp_path / "catalog.json"
    before = fingerprint()
    run("backup_catalog", path)
    emptied_database()

    run("restore_catalog", path)

    assert fingerprint() == before
    plan = Plan.objects.create(municipality=Municipality.objects.get(code="11000"), title="새 계획")
    service = Service.objects.create(
        plan=plan, name="새 서비스", category=Category.objects.first(), source_page="1"
    )
    user = User.objects.create_user("new")
    cluster = IdeaCluster.objects.create(label="새 묶음")
    for row in (plan, service, user, cluster, service.history.latest()):
        assert row.pk > max(type(row)._base_manager.exclude(pk=row.pk).values_list("pk", flat=True))


def test_restore_refuses_a_database_that_holds_data(tmp_path):
    path = tmp_path / "catalog.json.gz"
    run("backup_catalog", path)
    Plan.objects.create(municipality=Municipality.objects.get(code="11000"), title="새 계획")
    before = fingerprint()
    with pytest.raises(CommandError, match=r"이미 자료가 있습니다.*--replace"):
        run("restore_catalog", path)
    assert fingerprint() == before


def test_dry_run_validates_and_counts_but_writes_nothing(populated, tmp_path):
    path = tmp_path / "catalog.json.gz"
    report = run("backup_catalog", path)
    change_everything()
    before = fingerprint()

    output = run("restore_catalog", path, "--replace", "--dry-run")

    assert fingerprint() == before
    assert counts(output) == counts(report)
    assert "  catalog.municipality: 243" in counts(output)
    assert "아무것도 쓰지 않았습니다" in output


def cut_in_half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def spoil_a_line(path):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[len(lines) // 2] = '{"model": "catalog.service", "pk": \n'
    path.write_text("".join(lines), encoding="utf-8")


def drop_the_end(path):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")


def change_a_value(path):
    """A value the database refuses: a service pointing at a plan that does not exist."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if '"model": "catalog.service"' in line)
    record = json.loads(lines[number].rstrip().removesuffix(","))
    record["fields"]["plan"] = 999_999
    lines[number] = json.dumps(record, ensure_ascii=False) + ",\n"
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "damage", "message"),
    [
        ("catalog.json.gz", cut_in_half, "손상되었거나 잘려"),
        ("catalog.json", cut_in_half, "읽을 수 없습니다"),
        ("catalog.json", spoil_a_line, r"\d+번째 줄을 읽을 수 없습니다"),
        ("catalog.json", drop_the_end, "중간에 끊겼습니다"),
        ("catalog.json", change_a_value, "(?i)foreign key"),
    ],
    ids=["gzip-cut", "json-cut", "bad-line", "no-end", "dangling-reference"],
)
def test_a_damaged_file_writes_nothing(demo_data, tmp_path, name, damage, message):
    path = tmp_path / name
    run("backup_catalog", path)
    damage(path)
    Plan.objects.create(municipality=Municipality.objects.get(code="11000"), title="새 계획")
    before = fingerprint()
    with pytest.raises(CommandError, match=message) as refused:
        run("restore_catalog", path, "--replace")
    assert "데이터베이스는 그대로입니다" in str(refused.value)
    assert fingerprint() == before


def test_restore_refuses_a_backup_of_other_migrations(tmp_path):
    path = tmp_path / "catalog.json"
    run("backup_catalog", path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    current = migration_state()["catalog"]
    lines[0] = lines[0].replace(f'"catalog": "{current}"', '"catalog": "0001_initial"')
    path.write_text("".join(lines), encoding="utf-8")
    before = fingerprint()
    with pytest.raises(CommandError, match=r"마이그레이션 상태가 다릅니다.*0001_initial"):
        run("restore_catalog", path, "--replace")
    assert fingerprint() == before


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('[{"model": "auth.user", "pk": 1, "fields": {}}]\n', encoding="utf-8")
    with pytest.raises(CommandError, match="백업 파일이 아니거나"):
        run("restore_catalog", path, "--replace")


def test_restore_refuses_rows_of_other_tables(tmp_path):
    path = tmp_path / "catalog.json"
    run("backup_catalog", path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(1, '{"model": "sessions.session", "pk": "x", "fields": {}},\n')
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(CommandError, match=r"되살릴 수 없는 모델 sessions\.session"):
        run("restore_catalog", path, "--replace")


def test_backup_writes_plain_json_or_gzip_by_name_into_new_folders(tmp_path):
    plain, packed = tmp_path / "a" / "catalog.json", tmp_path / "b" / "c" / "catalog.json.gz"
    run("backup_catalog", plain)
    run("backup_catalog", packed)
    assert json.loads(plain.read_text(encoding="utf-8"))["format"] == "smartcity-catalog-backup"
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    unpacked = json.loads(gzip.decompress(packed.read_bytes()))
    assert unpacked["counts"] == json.loads(plain.read_text(encoding="utf-8"))["counts"]


def test_backup_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text("keep", encoding="utf-8")
    with pytest.raises(CommandError, match="--force"):
        run("backup_catalog", path)
    assert path.read_text(encoding="utf-8") == "keep"
    run("backup_catalog", path, "--force")
    assert json.loads(path.read_text(encoding="utf-8"))["counts"]["catalog.municipality"] == 243
    assert list(tmp_path.iterdir()) == [path]
