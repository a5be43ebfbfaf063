"""``/services/export/``: exactly what the browse page shows, every page of it.

CSV and JSON are streamed row by row from a server-side iterator, so memory does not grow
with the number of rows. Cells a spreadsheet would run as a formula are neutralised: prefixed
with an apostrophe in CSV, stored as plain text cells in XLSX.
"""

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator

from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from catalog.filters import SORTS, ServiceFilter, choose_sort
from catalog.models import Service

CHUNK_SIZE = 2000
FILE_STEM = "smartcity-services"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "service_id",
    "service_name",
    "description",
    "category_code",
    "category_name",
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
    services = filterset.qs.for_list().order_by(*SORTS[sort])
    rows = (service_row(service, request) for service in services.iterator(CHUNK_SIZE))
    if export_format == "json":
        return stream(_json_chunks(rows, request), "application/json", dated(FILE_STEM, "json"))
    if export_format == "xlsx":
        return xlsx_response(rows, COLUMNS, dated(FILE_STEM, "xlsx"), sheet="services")
    return csv_response(rows, COLUMNS, dated(FILE_STEM, "csv"), with_bom=export_format == "csv")


def service_row(service: Service, request) -> dict:
    municipality = service.plan.municipality
    sido = municipality.parent or municipality
    return {
        "service_id": service.pk,
        "service_name": service.name,
        "description": service.description,
        "category_code": service.category.code,
        "category_name": service.category.name_ko,
        "subcategory_code": service.subcategory.code if service.subcategory else "",
        "subcategory_name": service.subcategory.name_ko if service.subcategory else "",
        "municipality_code": municipality.code,
        "municipality_name": municipality.name,
        "sido_code": sido.code,
        "sido_name": sido.name,
        "plan_title": service.plan.title,
        "plan_kind": service.plan.kind,
        "plan_start_year": service.plan.start_year,
        "plan_end_year": service.plan.end_year,
        "status": service.status,
        "tags": ";".join(tag.name for tag in service.tags.all()),
        "source_url": service.source_url,
        "source_page": service.source_page,
        "source_note": service.source_note,
        "url": request.build_absolute_uri(reverse("catalog:service-detail", args=[service.pk])),
        "updated_at": service.updated_at.isoformat(),
    }


def neutralise(value):
    """Text a spreadsheet would evaluate gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return "" if value is None else value


def _xlsx_cell(sheet, value):
    """A cell that keeps text as text: never a formula, control characters removed (the
    XLSX format cannot hold them)."""
    if not isinstance(value, str):
        return "" if value is None else value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # a string cell is shown as written and never evaluated
    return cell


class _Line:
    """A file-like object whose ``write`` returns what it was given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def dated(stem: str, extension: str) -> str:
    """A download name that says when it was made: ``stem-2026-11-25.csv``."""
    return f"{stem}-{timezone.localdate().isoformat()}.{extension}"


def csv_response(
    rows: Iterable[dict], columns, filename: str, *, with_bom: bool = True
) -> StreamingHttpResponse:
    """Stream ``rows`` as CSV; with a BOM, Excel opens the UTF-8 with Hangul intact."""
    return stream(_csv_lines(rows, columns, with_bom), "text/csv; charset=utf-8", filename)


def _csv_lines(rows: Iterable[dict], columns, with_bom: bool) -> Iterator[str]:
    writer = csv.writer(_Line())
    header = writer.writerow(columns)
    yield ("\ufeff" + header) if with_bom else header
    for row in rows:
        yield writer.writerow([neutralise(row[column]) for column in columns])


def _json_chunks(rows: Iterable[dict], request) -> Iterator[str]:
    meta = {
        "generated_at": timezone.now().isoformat(),
        "source": request.build_absolute_uri(reverse("catalog:service-list")),
        "filters": {key: request.GET.getlist(key) for key in request.GET if key != "format"},
        "columns": list(COLUMNS),
    }
    opening = json.dumps(meta, ensure_ascii=False)[:-1]
    yield f'{opening}, "services": ['
    separator = ""
    for row in rows:
        yield separator + json.dumps(row, ensure_ascii=False)
        separator = ","
    yield "]}"


def stream(chunks: Iterator[str], content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(rows: Iterable[dict], columns, filename: str, *, sheet: str) -> FileResponse:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(list(columns))
    for row in rows:
        worksheet.append([_xlsx_cell(worksheet, row[column]) for column in columns])
    # Spooled: small files stay in memory, large ones go to disk.
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    workbook.save(buffer)
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
