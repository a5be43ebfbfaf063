"""The catalog's signals, and SQLite's FTS5 search table kept in place after every migrate.

SQLite rebuilds a table to alter it, which drops the triggers that keep the FTS5 table in
step; re-creating them after each migrate (and rebuilding the index when they were missing)
keeps search correct whatever the migrations did.
"""

from django.db import connections
from django.dispatch import Signal

from catalog.search import SQLITE_FTS_TABLE

services_bulk_deleted = Signal()
"""Sent with ``services`` (a queryset) just before those services are deleted in bulk,
without model signals: receivers delete their own rows that point at them."""

_TRIGGERS = {
    f"{SQLITE_FTS_TABLE}_insert": (
        "AFTER INSERT ON catalog_service BEGIN "
        f"INSERT INTO {SQLITE_FTS_TABLE}(rowid, search_bigrams) "
        "VALUES (new.id, new.search_bigrams); END"
    ),
    f"{SQLITE_FTS_TABLE}_delete": (
        "AFTER DELETE ON catalog_service BEGIN "
        f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}, rowid, search_bigrams) "
        "VALUES ('delete', old.id, old.search_bigrams); END"
    ),
    f"{SQLITE_FTS_TABLE}_update": (
        "AFTER UPDATE OF search_bigrams ON catalog_service BEGIN "
        f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}, rowid, search_bigrams) "
        "VALUES ('delete', old.id, old.search_bigrams); "
        f"INSERT INTO {SQLITE_FTS_TABLE}(rowid, search_bigrams) "
        "VALUES (new.id, new.search_bigrams); END"
    ),
}


def ensure_sqlite_search_index(using="default", **kwargs):
    connection = connections[using]
    if connection.vendor != "sqlite" or not _has_search_columns(connection):
        return  # another database, or catalog migrated back below its search columns
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_FTS_TABLE} USING fts5("
            "search_bigrams, content='catalog_service', content_rowid='id')"
        )
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'catalog_service'"
        )
        present = {row[0] for row in cursor.fetchall()}
        missing = [name for name in _TRIGGERS if name not in present]
        for name in missing:
            cursor.execute(f"CREATE TRIGGER {name} {_TRIGGERS[name]}")
        if missing:
            cursor.execute(f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}) VALUES ('rebuild')")


def _has_search_columns(connection) -> bool:
    with connection.cursor() as cursor:
        if "catalog_service" not in connection.introspection.table_names(cursor):
            return False
        columns = connection.introspection.get_table_description(cursor, "catalog_service")
    return any(column.name == "search_bigrams" for column in columns)
