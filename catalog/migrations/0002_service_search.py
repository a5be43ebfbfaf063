from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models

from catalog.search import SQLITE_FTS_TABLE, document_fields

GIN_INDEX = GinIndex(
    SearchVector("search_bigrams", config="simple"), name="service_search_bigrams_gin"
)


def fill_search_fields(apps, schema_editor):
    Service = apps.get_model("catalog", "Service")
    services = list(Service.objects.only("id", "name", "description"))
    for service in services:
        for field, value in document_fields(service.name, service.description).items():
            setattr(service, field, value)
    Service.objects.bulk_update(
        services, ["search_name", "search_text", "search_bigrams"], batch_size=1000
    )


def add_postgres_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("catalog", "Service"), GIN_INDEX)


def remove_search_index(apps, schema_editor):
    """Undo the search index of either database: the GIN index on PostgreSQL; on SQLite the
    FTS5 table and its triggers, which catalog.signals creates after every migrate."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("catalog", "Service"), GIN_INDEX)
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE %s",
                [f"%{SQLITE_FTS_TABLE}%"],
            )
            triggers = [row[0] for row in cursor.fetchall()]
        for trigger in triggers:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {schema_editor.quote_name(trigger)}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="search_name",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="service",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="service",
            name="search_bigrams",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_search_fields, migrations.RunPython.noop),
        # GIN over a tsvector exists on PostgreSQL only; SQLite gets an FTS5 table instead
        # (catalog.signals.ensure_sqlite_search_index).
        migrations.RunPython(add_postgres_index, remove_search_index),
    ]
