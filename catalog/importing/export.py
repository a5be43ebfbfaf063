"""The import layout going out: a plan's services as a spreadsheet to edit and import again,
and the empty template. Written with ``catalog.spreadsheets``, like every download."""

from collections.abc import Iterator

from django.db import models

from catalog.importing.columns import COLUMN_BY_KEY, TEMPLATE
from catalog.importing.resolve import choice_labels
from catalog.importing.template import teaching_workbook_response
from catalog.models import Plan, PlanKind, Service
from catalog.spreadsheets import csv_response, dated, xlsx_response

EXPORT_FORMATS = ("xlsx", "csv")


def export_rows(services: models.QuerySet) -> Iterator[dict]:
    """The services as rows of the import layout, keyed by the Korean headers (``TEMPLATE``)."""
    statuses = choice_labels(Service.Status.choices, "ko")
    kinds = choice_labels(PlanKind.choices, "ko")
    bases = choice_labels(Service.CategoryBasis.choices, "ko")
    related = services.select_related(
        "plan__municipality", "category", "subcategory"
    ).prefetch_related("tags")
    for service in related:
        values = {
            "id": service.pk,
            "municipality_code": service.plan.municipality.code,
            "plan_title": service.plan.title,
            "plan_kind": kinds.get(service.plan.kind, service.plan.kind),
            "plan_year": plan_years(service.plan),
            "name": service.name,
            "description": service.description,
            "category": service.category.name_ko,
            "category_basis": bases.get(service.category_basis, service.category_basis),
            "subcategory": service.subcategory.name_ko if service.subcategory else "",
            "status": statuses.get(service.status, service.status),
            "tags": "; ".join(tag.name for tag in service.tags.all()),
            "source_url": service.source_url,
            "source_page": service.source_page,
            "source_note": service.source_note,
        }
        yield {COLUMN_BY_KEY[key].header: value for key, value in values.items()}


def plan_years(plan: Plan) -> str:
    """A plan's years as the 계획연도 column reads them: ``2024~2028``, ``2024`` or empty."""
    years = [str(year) for year in (plan.start_year, plan.end_year) if year]
    return "~".join(years)


def template_rows() -> list[dict]:
    """The CSV template's rows: none. Its header (``TEMPLATE``) is the whole layout; the XLSX
    template adds an example row, drop-down lists and notes (``catalog.importing.template``)."""
    return []


def template_response(file_format: str = "xlsx"):
    """Download the import template: a workbook that teaches the layout, or a CSV header."""
    if file_format == "xlsx":
        return teaching_workbook_response(dated("service-import-template", "xlsx"))
    return _response(template_rows(), "service-import-template", file_format)


def plan_export_response(plan: Plan, file_format: str = "xlsx", services=None):
    """Download a plan's services (drafts included) in the import layout, ready to edit."""
    if services is None:
        services = Service.objects.filter(plan=plan).order_by("name", "id")
    stem = f"services-{plan.municipality.code}-plan{plan.pk}"
    return _response(export_rows(services), stem, file_format)


def _response(rows, stem: str, file_format: str):
    if file_format == "csv":
        return csv_response(rows, TEMPLATE, dated(stem, "csv"), with_bom=True)
    if file_format == "xlsx":
        return xlsx_response(rows, TEMPLATE, dated(stem, "xlsx"), sheet="services")
    raise ValueError(f"file_format must be one of {EXPORT_FORMATS}, not {file_format!r}")
