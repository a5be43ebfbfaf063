"""``/services/export/``: exactly what the browse page shows, every page of it.

CSV and JSON are streamed row by row from a server-side iterator, so memory does not grow
with the number of rows. Cells a spreadsheet would run as a formula are neutralised: prefixed
with an apostrophe in CSV, stored as plain text cells in XLSX.
"""

import json
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import facet_index
from catalog.filters import SORTS, UNSEARCHED_SORTS, ServiceFilter, choose_sort
from catalog.models import Category, Plan, Service, SubCategory, Tag
from catalog.spreadsheets import csv_response, dated, joined, stream, xlsx_response

CHUNK_SIZE = 2000
FILE_STEM = "smartcity-services"
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
FORMATS = ("csv", "csv-utf8", "xlsx", "json")


def service_export(request):
    export_format = request.GET.get("format", "csv")
    if export_format not in FORMATS:
        return HttpResponseBadRequest(
            _("알 수 없는 형식입니다. csv, csv-utf8, xlsx, json 중 하나를 고르세요."),
            content_type="text/plain; charset=utf-8",
        )
    filterset = ServiceFilter(request.GET, queryset=Service.objects.published())
    if not filterset.is_valid() or filterset.rejected:
        # A file is a record of what was asked; exporting more than asked would mislead.
        problems = [
            f"{name}={value}" for name, values in filterset.rejected.items() for value in values
        ]
        problems += [f"{name}" for name in filterset.errors]
        return HttpResponseBadRequest(
            _("알 수 없는 조건이 있어 내려받지 않았습니다: %(problems)s")
            % {"problems": ", ".join(problems)[:500]},
            content_type="text/plain; charset=utf-8",
        )
    sort = choose_sort(request.GET.get("sort"), bool(filterset.query))
    rows = service_rows(filterset.qs.order_by(*SORTS[sort]), request)
    if export_format == "json":
        return stream(_json_chunks(rows, request), "application/json", dated(FILE_STEM, "json"))
    if export_format == "xlsx":
        filename = dated(FILE_STEM, "xlsx")
        return xlsx_response(rows, COLUMNS, filename, sheet="services", ordered=True)
    filename = dated(FILE_STEM, "csv")
    return csv_response(rows, COLUMNS, filename, with_bom=export_format == "csv", ordered=True)


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


def service_rows(services: QuerySet, request) -> Iterator[tuple]:
    """The export's rows, values in ``COLUMNS`` order, in the order of ``services``: one
    streamed query for the services, their tags from the facet index."""
    page_prefix = request.build_absolute_uri(reverse("catalog:service-list"))
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


def _json_chunks(rows: Iterable[tuple], request) -> Iterator[str]:
    meta = {
        "generated_at": timezone.now().isoformat(),
        "source": request.build_absolute_uri(reverse("catalog:service-list")),
        "filters": {key: request.GET.getlist(key) for key in request.GET if key != "format"},
        "columns": list(COLUMNS),
    }
    opening = json.dumps(meta, ensure_ascii=False)[:-1]
    yield f'{opening}, "services": ['
    items = (json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False) for row in rows)
    separator = ""
    for batch in joined(f"{item}," for item in items):
        yield separator + batch[:-1]
        separator = ","
    yield "]}"
