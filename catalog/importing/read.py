"""Stage 1, read: a CSV or XLSX file into a :class:`Table` of text cells.

The cost is bounded by what the file holds, never by where its cells sit: an XLSX worksheet is
parsed cell by cell (a lone value in column XFD does not make every row 16,384 cells wide), and
only the columns under a header are kept. Blank rows are skipped and do not count toward
``MAX_ROWS``; a file with more data rows than that is refused with its true count, never cut.
"""

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import PurePath

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

MAX_ROWS = 10_000
MAX_CELL_CHARS = 1_000_000  # one cell; descriptions of 100 KB and more fit
MAX_CELLS = 2_000_000  # cells holding a value, in the whole worksheet
CSV_ENCODINGS = ("utf-8-sig", "cp949")  # cp949 is a superset of EUC-KR

# The csv module's own limit (128 KiB) would stop a long description with an English error; cells
# are measured below instead, where the row and the column are known.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class ImportFileError(ValueError):
    """The file cannot be read as a table; the message says why, in the active language."""


@dataclass(frozen=True)
class TableRow:
    number: int  # the spreadsheet row: the header is row 1
    cells: tuple[str, ...]  # one per header column
    unnamed_values: bool = False  # the row has values in columns without a header
    # header columns whose cell holds a formula the file saved no value for (XLSX written by a
    # program rather than a spreadsheet): read as empty, and said so
    uncomputed: tuple[int, ...] = ()


@dataclass
class Table:
    filename: str
    headers: list[str]
    rows: list[TableRow]
    file_format: str  # "csv" or "xlsx"
    encoding: str = ""  # for CSV: the encoding the file was read in


def read_table(data: bytes, filename: str) -> Table:
    """Read a CSV or XLSX file (chosen by the extension) into a ``Table``.

    Raises ``ImportFileError`` for an unsupported, undecodable, corrupt, empty or oversized file.
    """
    extension = PurePath(filename or "").suffix.lower()
    if extension == ".csv":
        records = _csv_records(data)
        file_format, encoding = "csv", records.encoding
    elif extension in (".xlsx", ".xlsm"):
        records = _xlsx_records(data)
        file_format, encoding = "xlsx", ""
    elif extension == ".xls":
        raise ImportFileError(
            _(
                "예전 엑셀 형식(.xls)은 읽을 수 없습니다. 엑셀에서 'Excel 통합 문서(.xlsx)'나 "
                "CSV로 저장해 올려 주세요."
            )
        )
    else:
        raise ImportFileError(
            _(
                "지원하지 않는 파일 형식입니다('%(extension)s'). CSV(.csv)나 엑셀(.xlsx) 파일을 "
                "올려 주세요."
            )
            % {"extension": extension or filename}
        )
    return _table(filename, records, file_format, encoding)


class _Records:
    """Rows of a file as ``(row number, {column index: text})``, only cells holding text, and
    ``uncomputed``: {row number: column indexes of formulas without a saved value}."""

    def __init__(self, rows, encoding: str = "", uncomputed: dict | None = None):
        self.rows = rows
        self.encoding = encoding
        self.uncomputed = uncomputed or {}


def _table(filename: str, records: _Records, file_format: str, encoding: str) -> Table:
    rows = iter(records.rows)
    first = next(rows, None)
    if first is None:
        raise ImportFileError(_("파일이 비어 있습니다."))
    number, header_cells = first
    width = max((index + 1 for index, text in header_cells.items() if text.strip()), default=0)
    if number != 1 or not width:
        raise ImportFileError(_("첫 행에 머리글(열 이름)이 없습니다. 1행에 열 이름을 적으세요."))
    headers = [header_cells.get(index, "").strip() for index in range(width)]
    named = {index for index, header in enumerate(headers) if header}
    table_rows: list[TableRow] = []
    data_rows = 0
    for number, cells in rows:
        if not any(text.strip() for text in cells.values()):
            continue  # a blank row keeps its number but is not a row of data
        data_rows += 1
        if data_rows > MAX_ROWS:
            continue  # counted, to say how many there are
        for index, text in cells.items():
            if "\x00" in text:
                raise ImportFileError(
                    _(
                        "%(row)d행 '%(column)s' 열에 NUL 문자가 있습니다. 파일을 만든 프로그램에서 "
                        "그 칸을 고쳐 다시 올려 주세요."
                    )
                    % {"row": number, "column": _header_or_letter(headers, index)}
                )
            if len(text) > MAX_CELL_CHARS:
                raise ImportFileError(
                    _(
                        "%(row)d행 '%(column)s' 열의 값이 너무 깁니다(%(length)s자). 한 칸에 "
                        "%(limit)s자까지 쓸 수 있습니다."
                    )
                    % {
                        "row": number,
                        "column": _header_or_letter(headers, index),
                        "length": f"{len(text):,}",
                        "limit": f"{MAX_CELL_CHARS:,}",
                    }
                )
        table_rows.append(
            TableRow(
                number,
                tuple(cells.get(index, "") for index in range(width)),
                any(text.strip() and index not in named for index, text in cells.items()),
                tuple(i for i in records.uncomputed.get(number, ()) if i in named),
            )
        )
    if data_rows > MAX_ROWS:
        raise ImportFileError(
            _(
                "행이 너무 많습니다(자료가 있는 행 %(count)s개). 한 번에 %(limit)s행까지 가져올 "
                "수 있으니 파일을 나눠 올려 주세요."
            )
            % {"count": f"{data_rows:,}", "limit": f"{MAX_ROWS:,}"}
        )
    return Table(filename, headers, table_rows, file_format, encoding)


def _header_or_letter(headers: list[str], index: int) -> str:
    """The column as the file names it: its header, or its spreadsheet letter (A, B … XFD)."""
    if index < len(headers) and headers[index]:
        return headers[index]
    return get_column_letter(index + 1)


# --- CSV ----------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _(
            "파일의 문자 인코딩을 알 수 없습니다. UTF-8이나 CP949(EUC-KR, 한국어 엑셀의 CSV)로 "
            "저장해 올려 주세요."
        )
    )


def _csv_records(data: bytes) -> _Records:
    if not data.strip():
        raise ImportFileError(_("파일이 비어 있습니다."))
    text, encoding = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = [
            (number, {index: cell for index, cell in enumerate(record) if cell})
            for number, record in enumerate(reader, start=1)
        ]
    except csv.Error as exc:
        raise ImportFileError(
            _(
                "CSV 파일을 읽을 수 없습니다(%(row)d행 부근): 따옴표가 닫히지 않았거나 깨진 "
                "줄입니다."
            )
            % {"row": reader.line_num}
        ) from exc
    return _Records(records, encoding)


# --- XLSX ---------------------------------------------------------------------------------------


def _xlsx_records(data: bytes) -> _Records:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(
            _(
                "엑셀 파일을 열 수 없습니다. 파일이 손상되지 않았는지, 암호가 걸려 있지 않은지 "
                "확인하세요."
            )
        ) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("엑셀 파일에 시트가 없습니다."))
        uncomputed: dict[int, list[int]] = {}
        rows = list(_sheet_cells(workbook, workbook.worksheets[0], uncomputed))
        return _Records(rows, uncomputed=uncomputed)
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet fails in the XML parser or the archive
        raise ImportFileError(
            _("엑셀 파일의 시트를 읽을 수 없습니다. 파일이 손상되었습니다.")
        ) from exc
    finally:
        workbook.close()


def _sheet_cells(workbook, sheet, uncomputed: dict[int, list[int]]):
    """The sheet's rows as ``(row number, {column index: text})``, parsed cell by cell.

    openpyxl's row iterator pads every row to the widest one; its parser yields only the cells
    the file holds, so the work follows the number of values, whatever their columns. Formulas
    whose value the file did not save are noted in ``uncomputed``.
    """
    cells_seen = 0
    with sheet._get_source() as source:
        parser = _ValueParser(
            source,
            workbook.shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            row = {}
            for cell in cells:
                if cell["data_type"] == UNCOMPUTED:
                    uncomputed.setdefault(number, []).append(cell["column"] - 1)
                text = _cell_text(cell["value"])
                if text:
                    row[cell["column"] - 1] = text
            cells_seen += len(row)
            if cells_seen > MAX_CELLS:
                raise ImportFileError(
                    _("엑셀 파일의 값이 너무 많습니다(%(limit)s칸 넘음). 파일을 나눠 올려 주세요.")
                    % {"limit": f"{MAX_CELLS:,}"}
                )
            yield number, row


UNCOMPUTED = "uncomputed"  # the data type given to a formula without a saved value


class _ValueParser(WorkSheetParser):
    """openpyxl's parser, reading saved values, that tells a formula without one."""

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if cell["value"] is None and element.find(FORMULA_TAG) is not None:
            cell["data_type"] = UNCOMPUTED
        return cell


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a page typed as 145 is stored as 145.0
    if hasattr(value, "isoformat"):
        if hasattr(value, "date") and not (value.hour or value.minute or value.second):
            value = value.date()  # a date typed without a time
        return value.isoformat()
    return str(value)
