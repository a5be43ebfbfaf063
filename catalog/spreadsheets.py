"""Files people open in a spreadsheet: CSV and XLSX downloads, and the formula guard.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run
as a formula by Excel or LibreOffice. Every file the catalog writes passes its cells through
:func:`neutralise_row` (a leading apostrophe in CSV; XLSX stores them as plain strings), and the
import reads them back through :func:`restore`, so a file exported and imported again is
unchanged. Both directions live here, under the views and the import, which both use them.
"""

import csv
import itertools
import math
import zlib
from collections.abc import Iterable, Iterator
from itertools import islice
from operator import itemgetter
from xml.sax.saxutils import escape

from django.http import StreamingHttpResponse
from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from stream_zip import ZIP_32, ZIP_64, stream_zip

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


def stream(chunks: Iterator, content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def in_columns(rows: Iterable, columns, ordered: bool) -> Iterable[tuple]:
    """``rows`` as value sequences in the order of ``columns``: dicts are picked from, rows
    already ``ordered`` (sequences in that order, the cheaper form for large files) pass."""
    if ordered:
        return rows
    pick = itemgetter(*columns)
    if len(columns) == 1:
        return ((pick(row),) for row in rows)
    return (pick(row) for row in rows)


def csv_lines(
    rows: Iterable, columns, *, with_bom: bool = True, ordered: bool = False
) -> Iterator[str]:
    """``rows`` (dicts, or sequences in ``columns`` order if ``ordered``) as CSV text, a batch
    of lines at a time, the header first."""
    writer = csv.writer(_Line())
    header = writer.writerow(columns)
    yield ("\ufeff" + header) if with_bom else header
    write = writer.writerow
    lines = (write(neutralise_row(values)) for values in in_columns(rows, columns, ordered))
    yield from joined(lines)


def csv_response(
    rows: Iterable, columns, filename: str, *, with_bom: bool = True, ordered: bool = False
) -> StreamingHttpResponse:
    """Stream ``rows`` as CSV; with a BOM, Excel opens the UTF-8 with Hangul intact."""
    lines = csv_lines(rows, columns, with_bom=with_bom, ordered=ordered)
    return stream(lines, "text/csv; charset=utf-8", filename)


# -- XLSX, streamed ---------------------------------------------------------------------------
#
# A workbook of one sheet, written as the XML parts of the format and zipped as they are made,
# so that the first bytes leave at once and memory does not grow with the rows (openpyxl builds
# the whole file first: 33 s for 100,000 rows, past a worker's timeout). Every text is an inline
# string cell, shown as written and never evaluated as a formula.

XLSX_NAMESPACE = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XLSX_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STATIC_PARTS = {
    "[Content_Types].xml": (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{XLSX_RELATIONSHIPS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{XLSX_RELATIONSHIPS}/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{XLSX_RELATIONSHIPS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        f'{_XML}<styleSheet xmlns="{XLSX_NAMESPACE}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
XLSX_COMPRESSION = 1  # zlib level: the XML shrinks ~10× even so, at a fraction of the time


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(count):
        name, number = "", index + 1
        while number:
            number, remainder = divmod(number - 1, 26)
            name = chr(65 + remainder) + name
        letters.append(name)
    return letters


def _xlsx_cell(reference: str, value) -> str:
    """One cell: text as an inline string (control characters the format cannot hold
    removed), numbers as numbers, nothing for ``None``."""
    if value is None:
        return ""
    if value.__class__ is bool:
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if value.__class__ in (int, float) and math.isfinite(value):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    text = escape(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet_xml(rows: Iterable[tuple], columns) -> Iterator[bytes]:
    letters = _column_letters(len(columns))

    def row_xml(number: int, values) -> str:
        cells = "".join(
            _xlsx_cell(f"{letter}{number}", value)
            for letter, value in zip(letters, values, strict=True)
        )
        return f'<row r="{number}">{cells}</row>'

    yield f'{_XML}<worksheet xmlns="{XLSX_NAMESPACE}"><sheetData>'.encode()
    header = [row_xml(1, columns)]
    lines = (row_xml(number, values) for number, values in enumerate(rows, start=2))
    for batch in joined(itertools.chain(header, lines)):
        yield batch.encode()
    yield b"</sheetData></worksheet>"


def _workbook_xml(sheet: str) -> str:
    name = escape(ILLEGAL_CHARACTERS_RE.sub("", sheet)[:31], {'"': "&quot;"})
    return (
        f'{_XML}<workbook xmlns="{XLSX_NAMESPACE}" xmlns:r="{XLSX_RELATIONSHIPS}">'
        f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def xlsx_chunks(rows: Iterable, columns, *, sheet: str, ordered: bool = False) -> Iterator[bytes]:
    """``rows`` (dicts, or sequences in ``columns`` order if ``ordered``) as the bytes of an
    XLSX workbook, made and zipped as they are read."""
    made_at = timezone.localtime().replace(tzinfo=None)
    parts = {**_STATIC_PARTS, "xl/workbook.xml": _workbook_xml(sheet)}
    members = [(name, made_at, 0o644, ZIP_32, (text.encode(),)) for name, text in parts.items()]
    sheet_xml = _sheet_xml(in_columns(rows, columns, ordered), columns)
    members.append(("xl/worksheets/sheet1.xml", made_at, 0o644, ZIP_64, sheet_xml))
    return stream_zip(
        members,
        chunk_size=64 * 1024,
        get_compressobj=lambda: zlib.compressobj(wbits=-zlib.MAX_WBITS, level=XLSX_COMPRESSION),
    )


def xlsx_response(
    rows: Iterable, columns, filename: str, *, sheet: str, ordered: bool = False
) -> StreamingHttpResponse:
    chunks = xlsx_chunks(rows, columns, sheet=sheet, ordered=ordered)
    return stream(chunks, XLSX_CONTENT_TYPE, filename)
