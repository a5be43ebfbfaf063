"""Search text now drops the Hangul araea (보건ㆍ의료 = 보건의료), as every other comparison
of names does; recompute the search columns of the services that hold one."""

from django.db import migrations
from django.db.models import Q

SEPARATORS = ("\u318d", "\u119e", "\u11a2")


def refresh(apps, schema_editor):
    from catalog.search import document_fields

    Service = apps.get_model("catalog", "Service")
    holding = Q()
    for separator in SEPARATORS:
        holding |= Q(name__contains=separator) | Q(description__contains=separator)
    for service in Service.objects.filter(holding).iterator():
        for field, value in document_fields(service.name, service.description).items():
            setattr(service, field, value)
        service.save(update_fields=["search_name", "search_text", "search_bigrams"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_import_suggested_basis_staged_uploads")]

    operations = [migrations.RunPython(refresh, migrations.RunPython.noop)]
