"""The published services as rows of the export's columns: what ``/services/export/`` streams
and what a data release freezes (``releases``), built once for both.

Plain values, in ``COLUMNS`` order, ready for the writers of ``catalog.spreadsheets``.
"""

from collections.abc import Iterator
from itertools import islice

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from catalog import facet_index
from catalog.filters import UNSEARCHED_SORTS
from catalog.models import Category, Plan, Service, SubCategory, Tag

CHUNK_SIZE = 2000
COLUMNS = (
    "service_id",
    "service_name",
    "description",
    "category_code",
    "category_name",
    "category_basis",
    "subcategory_code",
    "subcategory_name",
    "municipality_code",
    "municipality_name",
    "sido_code",
    "sido_name",
    "plan_title",
    "plan_kind",
    "plan_start_year",
    "plan_end_year",
    "status",
    "tags",
    "source_url",
    "source_page",
    "source_note",
    "url",
    "updated_at",
)


# The services' own columns are read as plain values (no model instances, which at 100,000 rows
# would be most of the time an export takes); the columns of their field, sub-group and plan
# come from small lookups, so that the streamed query joins nothing it does not sort by.
_SERVICE_VALUES = (
    "pk",
    "name",
    "description",
    "category_id",
    "category_basis",
    "subcategory_id",
    "plan_id",
    "status",
    "source_url",
    "source_page",
    "source_note",
    "updated_at",
)
_NO_SUBCATEGORY = ("", "")


def service_rows(services: QuerySet, page_prefix: str) -> Iterator[tuple]:
    """The export's rows, values in ``COLUMNS`` order, in the order of ``services``: one
    streamed query for the services, their tags from the facet index. ``page_prefix`` is the
    absolute address of the browse page, under which each service has its page."""
    categories = {
        pk: (code, name) for pk, code, name in Category.objects.values_list("pk", "code", "name_ko")
    }
    subcategories = {
        pk: (code, name)
        for pk, code, name in SubCategory.objects.values_list("pk", "code", "name_ko")
    }
    plans = _plan_columns(services)
    tag_names = _tag_reader()
    stream = services.values_list(*_SERVICE_VALUES).iterator(CHUNK_SIZE)
    while chunk := list(islice(stream, CHUNK_SIZE)):
        tags = tag_names([row[0] for row in chunk])
        for pk, name, description, category, basis, subcategory, plan, status, *rest in chunk:
            source_url, source_page, source_note, updated = rest
            yield (
                pk,
                name,
                description,
                *categories[category],
                basis,
                *subcategories.get(subcategory, _NO_SUBCATEGORY),
                *plans[plan],
                status,
                ";".join(tags.get(pk, ())),
                source_url,
                source_page,
                source_note,
                f"{page_prefix}{pk}/",
                updated.isoformat(),
            )


def _plan_columns(services: QuerySet) -> dict[int, tuple]:
    """{plan id: municipality code and name, 시·도 code and name, title, kind, start and end
    year} for the plans of ``services``, in one query."""
    plans = Plan.objects.filter(pk__in=services.order_by().values("plan_id")).values_list(
        "pk",
        "municipality__code",
        "municipality__name",
        Coalesce("municipality__parent__code", "municipality__code"),
        Coalesce("municipality__parent__name", "municipality__name"),
        "title",
        "kind",
        "start_year",
        "end_year",
    )
    return {pk: tuple(columns) for pk, *columns in plans}


def _tag_reader():
    """A function giving {service id: its tag names in the tags' own order} for a chunk of
    published services.

    The facet index of the current revision already holds every published service's tags;
    services it does not hold (the catalog changed while the file streams, or the index is
    being built elsewhere) have their links read from the database, bare, with no join or
    sort there.
    """
    tags = list(Tag.objects.values_list("pk", "slug", "name"))
    order = {pk: rank for rank, (pk, _, _) in enumerate(tags)}
    names = {pk: name for pk, _, name in tags}
    index = facet_index.for_current_revision(UNSEARCHED_SORTS)
    labels = {slug: (rank, name) for rank, (_, slug, name) in enumerate(tags)}
    held = index.tag_lists(labels) if index else None

    def read(service_ids: list[int]) -> dict[int, list[str]]:
        found = held(service_ids) if held else {}
        missing = [pk for pk in service_ids if pk not in found]
        links = (
            Service.tags.through.objects.filter(service_id__in=missing)
            .order_by()
            .values_list("service_id", "tag_id")
            if missing
            else ()
        )
        tag_ids: dict[int, list[int]] = {}
        for service_id, tag_id in links:
            tag_ids.setdefault(service_id, []).append(tag_id)
        for service_id, ids in tag_ids.items():
            found[service_id] = [names[pk] for pk in sorted(ids, key=order.__getitem__)]
        return found

    return read
