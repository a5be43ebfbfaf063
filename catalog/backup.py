"""Lossless copies of the site's data: what ``backup_catalog`` writes and ``restore_catalog``
reads back.

A backup holds every row of the catalog and the analysis (their history included), the list of
data releases (not their files, which live under ``RELEASES_ROOT``), the users, the groups with
their permissions and memberships, the editor assignments and the admin's log.
Content types and permissions are not copied — ``migrate`` creates them — and rows refer to
them by natural key. Every other row keeps its primary key, so that addresses such as
``/services/<id>/`` survive and history keeps pointing at rows deleted since. Sessions and
django-axes' login attempts and lockouts are state of the running site, not data: they are
left out.

The file is one JSON document, written and read a line at a time so that neither side holds
the whole database in memory::

    {"format": "smartcity-catalog-backup", "version": 1, …, "migrations": {…}, "objects": [
    {"model": "auth.group", "pk": 1, "fields": {…}},
    …
    {"model": "analysis.notsameidea", "pk": 7, "fields": {…}}
    ], "counts": {"auth.group": 3, …}}

The closing counts tell a complete file from a cut one.
"""

import datetime
import gzip
import io
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.management.color import no_style
from django.core.serializers import base, python
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import revision
from catalog.models import CatalogRevision, StagedImport

FORMAT = "smartcity-catalog-backup"
VERSION = 1
# Apps whose tables a backup reads or refers to; their migrations must match on restore.
MIGRATED_APPS = ("contenttypes", "auth", "admin", "catalog", "analysis", "releases")
NATURAL_KEY_MODELS = ("contenttypes.contenttype", "auth.permission")
BATCH_SIZE = 2000
GZIP_MAGIC = b"\x1f\x8b"
_OBJECTS_OPEN = ', "objects": ['
_OBJECTS_CLOSE = '], "counts": '


class BackupError(Exception):
    """A backup that cannot be written, read or restored; the message says why."""


def project_models() -> list[type[models.Model]]:
    """Every model whose rows a backup holds, in the order they are written.

    The catalog's revision number is left out and left alone: it must only ever move
    forward, or figures cached under an earlier number could be served for other data.
    Uploads staged for an import's confirmation are, like sessions, state of the running site.
    """
    return [
        Group,
        get_user_model(),
        *(
            model
            for model in apps.get_app_config("catalog").get_models()
            if model not in (CatalogRevision, StagedImport)
        ),
        *apps.get_app_config("analysis").get_models(),
        # The list of data releases; their files are kept under RELEASES_ROOT.
        *apps.get_app_config("releases").get_models(),
        LogEntry,
    ]


def link_tables(model: type[models.Model]) -> list[type[models.Model]]:
    """The many-to-many link tables a model's rows carry their links in."""
    return [
        field.remote_field.through
        for field in model._meta.local_many_to_many
        if field.remote_field.through._meta.auto_created
    ]


def project_tables() -> list[str]:
    return [
        table._meta.db_table for model in project_models() for table in (model, *link_tables(model))
    ]


def migration_state() -> dict[str, str | None]:
    """The latest applied migration of each app in ``MIGRATED_APPS``."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    graph = loader.graph
    state = {}
    for app_label in MIGRATED_APPS:
        applied = {
            key for key in loader.applied_migrations if key[0] == app_label and key in graph.nodes
        }
        latest = sorted(
            key[1]
            for key in applied
            if not applied & {child.key for child in graph.node_map[key].children}
        )
        state[app_label] = ", ".join(latest) or None
    return state


# Writing


def _by_natural_key(model: type[models.Model]) -> bool:
    return model._meta.label_lower in NATURAL_KEY_MODELS


class _Encoder(DjangoJSONEncoder):
    """Keeps the microseconds that DjangoJSONEncoder cuts to milliseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class _Writer:
    """Writes the document's opening, one line per object, and its closing counts."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.counts: Counter[str] = Counter()

    def header(self, meta: dict) -> None:
        self.stream.write(json.dumps(meta, ensure_ascii=False)[:-1] + _OBJECTS_OPEN)

    def add(self, record: dict) -> None:
        self.stream.write(",\n" if self.counts else "\n")
        self.stream.write(json.dumps(record, cls=_Encoder, ensure_ascii=False))
        self.counts[record["model"]] += 1

    def footer(self) -> None:
        self.stream.write(f"\n{_OBJECTS_CLOSE}{json.dumps(dict(self.counts))}}}\n")


class _Serializer(python.Serializer):
    """Hands each object to the writer as soon as it is built. Content types and permissions
    are referred to by natural key, every other row by primary key."""

    def handle_fk_field(self, obj, field):
        self.use_natural_foreign_keys = _by_natural_key(field.related_model)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        # The links _rows() prefetched; Django's own method builds a query per row first.
        if field.remote_field.through._meta.auto_created:
            related = obj._prefetched_objects_cache[field.name]
            natural = _by_natural_key(field.related_model)
            self._current[field.name] = [
                row.natural_key() if natural else row.pk for row in related
            ]

    def end_object(self, obj):
        self.options["writer"].add(self.get_dump_object(obj))
        self._current = None


def _rows(model: type[models.Model]) -> models.QuerySet:
    """All rows by primary key, with the related rows the serializer reads fetched alongside."""
    natural = [
        field.name
        for field in model._meta.concrete_fields
        if field.is_relation and _by_natural_key(field.related_model)
    ]
    links = [
        f"{field.name}__content_type" if field.related_model is Permission else field.name
        for field in model._meta.local_many_to_many
    ]
    return model._base_manager.select_related(*natural).prefetch_related(*links).order_by("pk")


@contextmanager
def _snapshot():
    """One transaction for every read, so that the tables agree with each other."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


@contextmanager
def _open_for_writing(path: Path) -> Iterator[TextIO]:
    """A text stream to ``path`` (gzip if it ends in .gz), readable by its owner only. The file
    appears under its name only when complete."""
    partial = path.with_name(f"{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with open(descriptor, "wb") as raw:
            binary = gzip.GzipFile(fileobj=raw, mode="wb") if path.suffix == ".gz" else raw
            with io.TextIOWrapper(binary, encoding="utf-8") as text:
                yield text
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_backup(path: Path) -> Counter[str]:
    """Write every row of the project's tables to ``path``; return the rows per model."""
    with _snapshot(), _open_for_writing(path) as stream:
        writer = _Writer(stream)
        writer.header(
            {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "migrations": migration_state(),
            }
        )
        for model in project_models():
            _Serializer().serialize(_rows(model).iterator(BATCH_SIZE), writer=writer)
        writer.footer()
    return writer.counts


# Reading


def _parse(number: int, text: str) -> dict:
    try:
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
    except ValueError as error:
        raise BackupError(
            _("백업 파일 %(line)d번째 줄을 읽을 수 없습니다: %(error)s")
            % {"line": number, "error": error}
        ) from error
    return value


class Backup:
    """An open backup file: ``header`` at once, then ``records()`` one line at a time."""

    def __init__(self, lines: TextIO):
        self._lines = enumerate(lines, start=1)
        self.header = self._read_header()

    def _next_lines(self) -> Iterator[tuple[int, str]]:
        try:
            for number, line in self._lines:
                yield number, line.rstrip("\n")
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
            raise BackupError(
                _("백업 파일이 손상되었거나 잘려 있어 읽을 수 없습니다: %(error)s")
                % {"error": error}
            ) from error

    def _read_header(self) -> dict:
        for number, line in self._next_lines():
            if line.startswith("{") and line.endswith(_OBJECTS_OPEN):
                header = _parse(number, line[: -len(_OBJECTS_OPEN)] + "}")
                if header.get("format") == FORMAT and header.get("version") == VERSION:
                    return header
            break
        raise BackupError(_("이 카탈로그의 백업 파일이 아니거나 읽을 수 없는 형식입니다."))

    def records(self) -> Iterator[tuple[int, dict]]:
        """(line number, object) for every object; the file must end with matching counts."""
        counts: Counter[str] = Counter()
        for number, line in self._next_lines():
            if line.startswith(_OBJECTS_CLOSE):
                if _parse(number, line[len(_OBJECTS_CLOSE) : -1]) != counts:
                    raise BackupError(_("백업 파일의 행 수가 끝에 적힌 수와 다릅니다."))
                return
            record = _parse(number, line.removesuffix(","))
            counts[str(record.get("model"))] += 1
            yield number, record
        raise BackupError(_("백업 파일이 중간에 끊겼습니다(끝부분이 없습니다)."))


@contextmanager
def open_backup(path: Path) -> Iterator[Backup]:
    """Open a backup, gzip-compressed or not."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        raise BackupError(
            _("백업 파일을 열 수 없습니다: %(error)s") % {"error": error.strerror or error}
        ) from error
    with raw:
        binary = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == GZIP_MAGIC else raw
        with io.TextIOWrapper(binary, encoding="utf-8") as text:
            yield Backup(text)


# Restoring


def restore(backup: Backup, *, replace: bool) -> Counter[str]:
    """Load a backup in the caller's transaction; return the rows per model.

    Refuses a database whose migrations differ from the backup's, and one that already holds
    data unless ``replace``. The project's tables are emptied first: they hold nothing but the
    staff roles ``migrate`` creates, which the backup's groups replace, or, with ``replace``,
    the data being replaced.
    """
    _check_migrations(backup.header.get("migrations"))
    if not replace:
        _refuse_held_data()
    tables = project_tables()
    # Settles the foreign-key checks still pending in an enclosing transaction, which
    # PostgreSQL's TRUNCATE refuses to run past.
    connection.check_constraints(table_names=tables)
    # Uploads waiting for an import's confirmation belong to the users being replaced: they
    # go too (they are not part of a backup).
    _execute(connection.ops.sql_flush(no_style(), [*tables, StagedImport._meta.db_table]))
    counts = _Loader().load(backup)
    connection.check_constraints(table_names=tables)
    revision.bump()  # raw inserts send no signals; cached figures describe the old data
    return counts


def reset_sequences() -> None:
    """Let new rows take ids after the restored ones (PostgreSQL; SQLite needs nothing)."""
    _execute(connection.ops.sequence_reset_sql(no_style(), project_models()))


def _execute(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _check_migrations(recorded: object) -> None:
    current = migration_state()
    if not isinstance(recorded, dict):
        recorded = {}
    differences = [
        _("%(app)s: 백업 %(backup)s, 데이터베이스 %(database)s")
        % {"app": app, "backup": recorded.get(app) or "-", "database": current[app] or "-"}
        for app in MIGRATED_APPS
        if recorded.get(app) != current[app]
    ]
    if differences:
        raise BackupError(
            _(
                "백업과 이 데이터베이스의 마이그레이션 상태가 다릅니다(%(differences)s). 백업을 "
                "만든 때와 같은 판의 코드로 migrate한 데이터베이스에 되살리세요."
            )
            % {"differences": "; ".join(differences)}
        )


def _refuse_held_data() -> None:
    held = [
        f"{model._meta.label_lower} {count}"
        for model in project_models()
        if model is not Group and (count := model._base_manager.count())
    ]
    if held:
        raise BackupError(
            _(
                "이 데이터베이스에는 이미 자료가 있습니다(%(held)s). 지우고 백업으로 바꾸려면 "
                "--replace를 붙이세요."
            )
            % {"held": ", ".join(held)}
        )


class _Loader:
    """Inserts the backup's rows in batches, as they are: raw inserts keep every value
    (automatic timestamps included) and send no model signals, so restoring adds no history
    records and moves nothing else."""

    def __init__(self):
        self.allowed = {model._meta.label_lower: model for model in project_models()}
        self.pending: list[base.DeserializedObject] = []
        self.counts: Counter[str] = Counter()

    def load(self, backup: Backup) -> Counter[str]:
        for number, record in backup.records():
            loaded = self._deserialize(number, record)
            if self.pending and type(self.pending[0].object) is not type(loaded.object):
                self._flush()
            self.pending.append(loaded)
            if len(self.pending) >= BATCH_SIZE:
                self._flush()
        self._flush()
        return self.counts

    def _deserialize(self, number: int, record: dict) -> base.DeserializedObject:
        label = str(record.get("model")).lower()
        if label not in self.allowed:
            raise BackupError(
                _("백업 파일 %(line)d번째 줄: 되살릴 수 없는 모델 %(model)s입니다.")
                % {"line": number, "model": label}
            )
        try:
            return next(python.Deserializer([record]))
        except (
            base.DeserializationError,
            FieldDoesNotExist,
            ObjectDoesNotExist,
            LookupError,
            TypeError,
            ValueError,
        ) as error:
            raise BackupError(
                _("백업 파일 %(line)d번째 줄을 되살릴 수 없습니다: %(error)s")
                % {"line": number, "error": error}
            ) from error

    def _flush(self) -> None:
        if not self.pending:
            return
        model = type(self.pending[0].object)
        fields = model._meta.local_concrete_fields
        objects = [loaded.object for loaded in self.pending]
        size = max(1, connection.ops.bulk_batch_size(fields, objects))
        for start in range(0, len(objects), size):
            model._base_manager._insert(objects[start : start + size], fields=fields, raw=True)
        for field in model._meta.local_many_to_many:
            if field.remote_field.through._meta.auto_created:
                self._link(field)
        self.counts[model._meta.label_lower] += len(objects)
        self.pending = []

    def _link(self, field: models.ManyToManyField) -> None:
        through = field.remote_field.through
        source = through._meta.get_field(field.m2m_field_name()).attname
        target = through._meta.get_field(field.m2m_reverse_field_name()).attname
        rows = [
            through(**{source: loaded.object.pk, target: pk})
            for loaded in self.pending
            for pk in loaded.m2m_data.get(field.name, ())
        ]
        through._base_manager.bulk_create(rows, batch_size=BATCH_SIZE)
