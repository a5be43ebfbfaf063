from django.core.management.base import BaseCommand
from django.db import transaction

from catalog import revision
from catalog.models import Service
from catalog.search import SEARCH_FIELDS, document_fields

BATCH_SIZE = 2000


class Command(BaseCommand):
    help = (
        "Recompute every service's search columns from its name and description. Needed only "
        "after rows were changed without Service.save() (raw SQL, queryset.update())."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the stale rows without writing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        stale = 0
        with transaction.atomic():
            batch = []
            for service in Service.objects.only(
                "id", "name", "description", *SEARCH_FIELDS
            ).iterator(BATCH_SIZE):
                wanted = document_fields(service.name, service.description)
                if any(getattr(service, key) != value for key, value in wanted.items()):
                    stale += 1
                    for key, value in wanted.items():
                        setattr(service, key, value)
                    batch.append(service)
                if len(batch) >= BATCH_SIZE:
                    self._write(batch, dry_run)
                    batch = []
            self._write(batch, dry_run)
            if stale and not dry_run:
                revision.bump()  # bulk_update sends no signals; cached counts must go
        verb = "would be updated" if dry_run else "updated"
        self.stdout.write(f"{stale} services {verb}.")

    def _write(self, batch, dry_run):
        if batch and not dry_run:
            Service.objects.bulk_update(batch, SEARCH_FIELDS)
