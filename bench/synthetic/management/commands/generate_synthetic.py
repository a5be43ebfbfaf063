"""``manage.py generate_synthetic``: a realistic synthetic catalog for benchmarks.

Every plan it makes has ``is_synthetic=True``; its services hang off those plans only. It
refuses a database that holds real plans or services (unless ``--force``) and one that
already holds synthetic data (unless ``--replace``, which first deletes the synthetic plans
and their services). Rows are written with ``bulk_create`` in one transaction, the search
columns computed here (``bulk_create`` skips ``Service.save``); on SQLite the FTS5 table is
filled by its insert trigger, on PostgreSQL the GIN index follows the rows.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from bench.synthetic.generator import generate_catalog
from catalog import revision, search
from catalog.models import Category, Municipality, Plan, Service, SubCategory, Tag
from catalog.signals import services_bulk_deleted

EXPECTED_MUNICIPALITIES = 243
EXPECTED_CATEGORIES = 12
BATCH_SIZE = 2000


class Command(BaseCommand):
    help = (
        "Fill the database with a realistic synthetic catalog (plans for every municipality, "
        "N published services) for benchmarks. Everything made is marked synthetic."
    )

    def add_arguments(self, parser):
        parser.add_argument("--services", type=int, default=100_000, help="how many services")
        parser.add_argument("--seed", type=int, default=7, help="random seed (deterministic)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even though the database holds real (non-synthetic) plans or services",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete the synthetic plans and services already present first",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="generate and report, write nothing"
        )

    def handle(self, *args, services: int, seed: int, force: bool, replace: bool, **options):
        dry_run = options["dry_run"]
        if services < 0:
            raise CommandError("--services must be 0 or more.")
        municipalities = {
            m.code: str(m) for m in Municipality.objects.select_related("parent").all()
        }
        categories = {c.code: c.pk for c in Category.objects.all()}
        if len(municipalities) < EXPECTED_MUNICIPALITIES or len(categories) < EXPECTED_CATEGORIES:
            raise CommandError(
                f"Reference data is missing ({len(municipalities)} municipalities, "
                f"{len(categories)} fields): run `python manage.py load_reference_data` first."
            )
        real_plans = Plan.objects.filter(is_synthetic=False).count()
        if real_plans and not force:
            real_services = Service.objects.filter(plan__is_synthetic=False).count()
            raise CommandError(
                f"This database holds real data ({real_plans} plans, {real_services} "
                "services): synthetic data must not be mixed with it. Use a database of its "
                "own, or pass --force if you really mean to."
            )
        existing = Plan.objects.filter(is_synthetic=True).count()
        if existing and not replace:
            raise CommandError(
                f"This database already holds synthetic data ({existing} plans). Pass "
                "--replace to delete it (synthetic plans and their services) and generate "
                "anew."
            )

        started = time.monotonic()
        tags = dict(Tag.objects.values_list("slug", "pk"))
        catalog = generate_catalog(services, municipalities, seed=seed, tag_slugs=list(tags))
        generated = time.monotonic()
        self.stdout.write(
            f"Generated {len(catalog.plans)} plans and {len(catalog.services)} services "
            f"over {len(municipalities)} municipalities (seed {seed}) in "
            f"{generated - started:.1f} s."
        )
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
            return

        with transaction.atomic():
            if existing:
                removed = delete_synthetic()
                self.stdout.write(f"Deleted {removed[0]} synthetic plans, {removed[1]} services.")
            written = self._write(catalog, municipalities, categories, tags, seed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {written[0]} plans, {written[1]} services and {written[2]} tag links "
                f"in {time.monotonic() - generated:.1f} s. Run `python manage.py "
                "find_duplicates` to cluster them."
            )
        )

    def _write(self, catalog, municipalities, categories, tags, seed):
        municipality_ids = dict(Municipality.objects.values_list("code", "pk"))
        subcategories = dict(SubCategory.objects.values_list("code", "pk"))
        note = f"합성 데이터: generate_synthetic --seed {seed} (실제 계획이 아님)"
        plans = Plan.objects.bulk_create(
            [
                Plan(
                    municipality_id=municipality_ids[plan.municipality_code],
                    title=plan.title,
                    kind=plan.kind,
                    start_year=plan.start_year,
                    end_year=plan.end_year,
                    note=note,
                    is_synthetic=True,
                )
                for plan in catalog.plans
            ],
            batch_size=BATCH_SIZE,
        )
        now = timezone.now()
        Through = Service.tags.through
        service_count = link_count = 0
        for start in range(0, len(catalog.services), BATCH_SIZE):
            batch = catalog.services[start : start + BATCH_SIZE]
            rows = []
            for spec in batch:
                row = Service(
                    plan_id=plans[spec.plan_index].pk,
                    name=spec.name,
                    description=spec.description,
                    category_id=categories[spec.category_code],
                    subcategory_id=subcategories.get(spec.subcategory_code),
                    status=spec.status,
                    source_page=spec.source_page,
                    source_note=note,
                    is_published=True,
                    published_at=now,
                    **search.document_fields(spec.name, spec.description),
                )
                rows.append(row)
            created = Service.objects.bulk_create(rows)
            links = [
                Through(service_id=service.pk, tag_id=tags[slug])
                for service, spec in zip(created, batch, strict=True)
                for slug in spec.tag_slugs
            ]
            Through.objects.bulk_create(links)
            service_count += len(created)
            link_count += len(links)
        revision.bump()  # bulk_create sends no signals
        refresh_planner_statistics()
        return len(plans), service_count, link_count


def delete_synthetic() -> tuple[int, int]:
    """Delete the synthetic plans, their services and their tag links.

    Raw deletes: the ORM's would write a history record for each of 100,000 rows. Apps that
    keep rows pointing at services remove theirs on ``services_bulk_deleted`` first.
    """
    plan_ids = list(Plan.objects.filter(is_synthetic=True).values_list("pk", flat=True))
    services = Service.objects.filter(plan_id__in=plan_ids)
    services_bulk_deleted.send(sender=Service, services=services)
    service_ids = services.values("pk")
    Service.tags.through.objects.filter(service_id__in=service_ids)._raw_delete(Service.objects.db)
    service_count = services._raw_delete(Service.objects.db)
    plan_count = Plan.objects.filter(pk__in=plan_ids)._raw_delete(Plan.objects.db)
    revision.bump()
    return plan_count, service_count


def refresh_planner_statistics() -> None:
    """After a bulk load PostgreSQL's statistics describe the empty tables until autovacuum
    comes round; fresh ones let the first queries on the new rows be planned well."""
    if connection.vendor == "postgresql":
        tables = [Plan._meta.db_table, Service._meta.db_table, Service.tags.through._meta.db_table]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
