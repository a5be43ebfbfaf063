"""Files people open in a spreadsheet: CSV and XLSX downloads, and the formula guard.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run
as a formula by Excel or LibreOffice. Every file the catalog writes passes its cells through
:func:`neutralise_row` (a leading apostrophe in CSV; XLSX stores them as plain strings), and the
import reads them back through :func:`restore`, so a file exported and imported again is
unchanged. Both directions live here, under the views and the import, which both use them.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice
from operator import itemgetter

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
# A value already starting with the guard and a trigger is guarded too, so that restoring
# takes off only what the export added ('=1 → ''=1 → '=1).
GUARDED_STARTS = FORMULA_TRIGGERS + tuple(GUARD + trigger for trigger in FORMULA_TRIGGERS)
ROWS_PER_WRITE = 200
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise_row(values: tuple) -> list:
    """A CSV row in which text a spreadsheet would evaluate (or text that :func:`restore` would
    change) gets a leading apostrophe.

    Written as one comprehension, with no call per cell: it runs for every cell exported.
    """
    return [
        GUARD + value
        if value.__class__ is str and value.startswith(GUARDED_STARTS)
        else ("" if value is None else value)
        for value in values
    ]


def restore(value: str) -> str:
    """A cell as typed before :func:`neutralise_row` guarded it: ``'=1+2`` → ``=1+2``."""
    if value.startswith(GUARD) and value[1:].startswith(GUARDED_STARTS):
        return value[1:]
    return value


def dated(stem: str, extension: str) -> str:
    """A download name that says when it was made: ``stem-2026-11-25.csv``."""
    return f"{stem}-{timezone.localdate().isoformat()}.{extension}"


class _Line:
    """A file-like object whose ``write`` returns what it was given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def joined(pieces: Iterator[str]) -> Iterator[str]:
    """Pieces joined a few hundred at a time: fewer, larger writes to the client."""
    while batch := list(islice(pieces, ROWS_PER_WRITE)):
        yield "".join(batch)


def stream(chunks: Iterator[str], content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_lines(rows: Iterable[dict], columns, *, with_bom: bool = True) -> Iterator[str]:
    """``rows`` as CSV text, a batch of lines at a time, the header first."""
    writer = csv.writer(_Line())
    header = writer.writerow(columns)
    yield ("\ufeff" + header) if with_bom else header
    pick = itemgetter(*columns)
    lines = (writer.writerow(neutralise_row(pick(row))) for row in rows)
    yield from joined(lines)


def csv_response(
    rows: Iterable[dict], columns, filename: str, *, with_bom: bool = True
) -> StreamingHttpResponse:
    """Stream ``rows`` as CSV; with a BOM, Excel opens the UTF-8 with Hangul intact."""
    return stream(csv_lines(rows, columns, with_bom=with_bom), "text/csv; charset=utf-8", filename)


def _xlsx_cell(sheet, value):
    """A cell that keeps text as text: never a formula, control characters removed (the
    XLSX format cannot hold them)."""
    if not isinstance(value, str):
        return "" if value is None else value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # a string cell is shown as written and never evaluated
    return cell


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
        buffer, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
