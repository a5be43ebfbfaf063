"""``/services/export/``: exactly what the browse page shows, every page of it.

CSV and JSON are streamed row by row from a server-side iterator, so memory does not grow
with the number of rows. Cells a spreadsheet would run as a formula are neutralised: prefixed
with an apostrophe in CSV, stored as plain text cells in XLSX. Each file names the data
release its rows would match, or says they are live (``releases.live``).
"""

import json
from collections.abc import Iterable, Iterator

from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.exporting import COLUMNS, service_rows
from catalog.filters import SORTS, ServiceFilter, choose_sort
from catalog.models import Service
from catalog.spreadsheets import csv_response, dated, joined, stream, xlsx_response
from releases import live

FILE_STEM = "smartcity-services"
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
    page_prefix = request.build_absolute_uri(reverse("catalog:service-list"))
    rows = service_rows(filterset.qs.order_by(*SORTS[sort]), page_prefix)
    source = live.source()
    stem = source.file_stem(FILE_STEM)
    if export_format == "json":
        chunks = _json_chunks(rows, request, source)
        response = stream(chunks, "application/json", dated(stem, "json"))
    elif export_format == "xlsx":
        filename = dated(stem, "xlsx")
        response = xlsx_response(rows, COLUMNS, filename, sheet="services", ordered=True)
    else:
        filename = dated(stem, "csv")
        with_bom = export_format == "csv"
        response = csv_response(rows, COLUMNS, filename, with_bom=with_bom, ordered=True)
    return source.mark(response)


def _json_chunks(rows: Iterable[tuple], request, source: live.Source) -> Iterator[str]:
    meta = {
        "generated_at": timezone.now().isoformat(),
        "source": {
            "url": request.build_absolute_uri(reverse("catalog:service-list")),
            **source.describe(request.build_absolute_uri),
        },
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
