"""Import services from a spreadsheet (CSV or XLSX) — one researcher's file of many cities and
plans, or one plan's service table — and export a plan's services back in the same layout.

The import runs in stages, one module each, so that a page can show what will happen before
anything is written:

1. ``read`` — ``read_table(data, filename)``: the file into a ``Table`` of text cells, each row
   with its spreadsheet number (the header is row 1). Blank rows are skipped; a file with
   more than ``MAX_ROWS`` data rows is refused with its true count.
2. ``resolve`` — municipalities by code (current or former) or name with or without 시·도
   (``catalog.municipalities``), plans by municipality and title, or a new plan the file
   describes; fields, sub-groups, tags and statuses by code or name.
3. ``validate`` — each row's cells to service values: lengths, URLs, the 출처 cell split into
   address and note, plan years and kinds. An empty 분야 is suggested (``catalog.categorize``).
4. ``diff`` — each row against the database and the other rows: create, update, unchanged or
   error, with the fields that change.
5. ``apply`` — ``apply(preview, user=…, publish=…)`` writes all of it in one transaction, or
   nothing when any row has an error or the database changed since the preview.

``prepare(table, …)`` runs stages 2–4 and returns an ``ImportPreview``: every problem of every
row, in the active language, with the row number and the column header as written in the
file (``3행 '분야': 알 수 없는 분야 …``), the plans it would create, the fields it suggested and,
for each row, published services of other municipalities that look like the same idea.

The columns and the rules for each are listed in the README (스프레드시트 가져오기) and in
``columns.COLUMNS``.
"""

from catalog.importing.apply import ImportRefused, ImportResult, apply
from catalog.importing.columns import COLUMNS, TEMPLATE
from catalog.importing.export import (
    EXPORT_FORMATS,
    export_rows,
    plan_export_response,
    template_response,
    template_rows,
)
from catalog.importing.prepare import prepare
from catalog.importing.read import MAX_ROWS, ImportFileError, Table, read_table
from catalog.importing.report import ImportPreview, Issue, RowResult

__all__ = [
    "COLUMNS",
    "EXPORT_FORMATS",
    "MAX_ROWS",
    "TEMPLATE",
    "ImportFileError",
    "ImportPreview",
    "ImportRefused",
    "ImportResult",
    "Issue",
    "RowResult",
    "Table",
    "apply",
    "export_rows",
    "plan_export_response",
    "prepare",
    "read_table",
    "template_response",
    "template_rows",
]
