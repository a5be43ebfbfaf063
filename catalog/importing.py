"""Import a plan's service table from a spreadsheet (CSV or XLSX), and export it back.

Staff copy the service table of a published plan into a spreadsheet and load it in three
steps, so that a page can show what will happen before anything is written:

1. ``read_table(data, filename)`` reads the file into a ``Table`` (rows as text, each with
   its spreadsheet row number; the header is row 1).
2. ``prepare(table, plan=..., allowed_municipalities=...)`` checks every row against the
   database without writing and classifies it as create, update, unchanged or error. Every
   problem of every row is collected, in Korean, with the row number and the column header
   as written in the file: ``3행 '자치단체코드': 알 수 없는 자치단체 코드 '99999'입니다.``
3. ``apply(preview, user=...)`` writes all of it in one transaction, or nothing when any row
   has an error. New services are drafts (``is_published=False``, ``category_basis="editor"``);
   updates never change ``is_published``. Importing the same file again changes nothing.

A page that previews first and writes on confirmation keeps the uploaded bytes, and on
confirmation reads and prepares them again before ``apply``: a preview is a snapshot, and
``apply`` refuses (``ImportRefused``) whatever no longer fits the database.

``export_rows`` and ``template_rows`` produce the same layout, so a plan exported with
``plan_export_response`` and imported again is all "unchanged".

Columns
-------

Headers are matched ignoring case, spaces, ``_`` and ``-``; the first header listed is the
one exports and the template write. Columns may come in any order; unknown columns are
ignored with a warning. On an update, a column left out of the file leaves that field as it
is; an empty cell in a column that is present clears the field (``상태`` becomes 계획).

* ``id`` — id, 번호, 서비스 번호, service_id. Optional. When filled, the row updates that
  service (renaming it if the name differs); it must exist and belong to the row's plan.
  When empty, the row is matched by plan and 서비스명.
* ``municipality_code`` — 자치단체코드, 행정구역코드. Required unless a plan is given:
  the 5-digit code (41280).
* ``plan_title`` — 계획명. Required unless a plan is given: the exact title of a plan of
  that municipality.
* ``name`` — 서비스명, 서비스 이름, service_name. Required; at most 200 characters; once per
  plan in the file.
* ``description`` — 설명. Free text.
* ``category`` — 분야, category_name. Required: code (``transport``) or Korean or English
  name; case, spaces and separators are ignored (보건·의료·복지 = 보건/의료/복지 = 보건의료복지).
* ``subcategory`` — 세부분야, 세부 분야, subcategory_name. Code or name of a sub-group of
  the row's 분야.
* ``status`` — 상태. 계획/구축/운영/중단 or planned/built/operating/suspended; empty = 계획.
* ``tags`` — 태그. Slugs or names separated by ``;`` or ``,``, case-insensitive; every one
  must exist.
* ``source_url`` — 출처 URL, 출처. An http(s) address (``https://`` is assumed when left
  out), at most 500 characters.
* ``source_page`` — 문서 쪽, 쪽. At most 20 characters (145, 145–147).
* ``source_note`` — 출처 메모, 비고. Free text.

Every service needs at least one of 출처 URL, 문서 쪽 and 출처 메모.

A cell that an export neutralised against spreadsheet formulas (``'=…``, ``'+…``, ``'-…``)
is read back without the apostrophe, and leading and trailing spaces are ignored.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction
from django.utils import translation

from catalog import search
from catalog.models import Category, Municipality, Plan, Service, SubCategory, Tag

MAX_ROWS = 10_000
CSV_ENCODINGS = ("utf-8-sig", "cp949")  # cp949 is a superset of EUC-KR
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # as catalog.views.exports.neutralise
TAG_SEPARATORS = re.compile(r"[;,；，、]")
# Characters people put between the parts of a field name: 보건·의료·복지, 방범/방재 …
# (NFKC turns the Hangul araea ㆍ into U+119E, which is a letter, so it is listed too.)
NAME_SEPARATORS = frozenset("\u318d\u119e\u11a2")

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
ACTIONS = (CREATE, UPDATE, UNCHANGED, ERROR)
ACTION_LABELS = {
    CREATE: translation.gettext_lazy("새로 만듦"),
    UPDATE: translation.gettext_lazy("고침"),
    UNCHANGED: translation.gettext_lazy("그대로"),
    ERROR: translation.gettext_lazy("오류"),
}


@dataclass(frozen=True)
class Column:
    """One column of the layout: its key, the header files carry and the Service field."""

    key: str
    header: str  # written by exports and the template
    aliases: tuple[str, ...] = ()
    field: str | None = None

    @property
    def accepted_headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases, self.key)


COLUMNS: tuple[Column, ...] = (
    Column("id", "id", ("번호", "서비스 번호", "service_id")),
    Column("municipality_code", "자치단체코드", ("행정구역코드",)),
    Column("plan_title", "계획명"),
    Column("name", "서비스명", ("서비스 이름", "service_name"), "name"),
    Column("description", "설명", (), "description"),
    Column("category", "분야", ("category_name",), "category"),
    Column("subcategory", "세부분야", ("subcategory_name",), "subcategory"),
    Column("status", "상태", (), "status"),
    Column("tags", "태그", (), "tags"),
    Column("source_url", "출처 URL", ("출처",), "source_url"),
    Column("source_page", "문서 쪽", ("쪽",), "source_page"),
    Column("source_note", "출처 메모", ("비고",), "source_note"),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
COLUMN_BY_FIELD = {column.field: column for column in COLUMNS if column.field}
TEMPLATE: tuple[str, ...] = tuple(column.header for column in COLUMNS)
TEXT_FIELDS = ("name", "description", "source_url", "source_page", "source_note")
SOURCE_KEYS = ("source_url", "source_page", "source_note")
COMPARED_FIELDS = ("name", "description", "category", "subcategory", "status", *SOURCE_KEYS)


def _header_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-\ufeff]+", "", folded)


def _name_key(text: str) -> str:
    """A name with case, spaces and separators removed: 보건/의료/복지 → 보건의료복지."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum() and ch not in NAME_SEPARATORS)


def _header_index() -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in COLUMNS:
        for header in column.accepted_headers:
            if index.setdefault(_header_key(header), column) is not column:
                raise ValueError(f"header {header!r} names two columns")
    return index


HEADER_INDEX = _header_index()


# --- reading -------------------------------------------------------------------------------


class ImportFileError(ValueError):
    """The file cannot be read as a table; the message says why, in Korean."""


@dataclass(frozen=True)
class TableRow:
    number: int  # the spreadsheet row: the header is row 1
    cells: tuple[str, ...]


@dataclass
class Table:
    filename: str
    headers: list[str]
    rows: list[TableRow]
    file_format: str  # "csv" or "xlsx"
    encoding: str = ""  # for CSV: the encoding the file was read in


def read_table(data: bytes, filename: str) -> Table:
    """Read a CSV or XLSX file (chosen by the extension) into a ``Table``.

    Fully empty rows are skipped but keep their place in the numbering. Raises
    ``ImportFileError`` for an unsupported, undecodable, corrupt or empty file.
    """
    extension = PurePath(filename or "").suffix.lower()
    if extension == ".csv":
        table = _read_csv(data, filename)
    elif extension in (".xlsx", ".xlsm"):
        table = _read_xlsx(data, filename)
    elif extension == ".xls":
        raise ImportFileError(
            "예전 엑셀 형식(.xls)은 읽을 수 없습니다. 엑셀에서 'Excel 통합 문서(.xlsx)'나 "
            "CSV로 저장해 올려 주세요."
        )
    else:
        raise ImportFileError(
            f"지원하지 않는 파일 형식입니다('{extension or filename}'). "
            "CSV(.csv)나 엑셀(.xlsx) 파일을 올려 주세요."
        )
    if not any(table.headers):
        raise ImportFileError("첫 행에 머리글(열 이름)이 없습니다. 1행에 열 이름을 적으세요.")
    if len(table.rows) > MAX_ROWS:
        raise ImportFileError(
            f"행이 너무 많습니다({len(table.rows)}행). 한 번에 {MAX_ROWS}행까지 가져올 수 있습니다."
        )
    return table


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
        "파일의 문자 인코딩을 알 수 없습니다. UTF-8이나 CP949(EUC-KR, 한국어 엑셀의 CSV)로 "
        "저장해 올려 주세요."
    )


def _read_csv(data: bytes, filename: str) -> Table:
    if not data.strip():
        raise ImportFileError("파일이 비어 있습니다.")
    text, encoding = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            records.append(record)
            if len(records) > MAX_ROWS + 1:
                break
    except csv.Error as exc:
        raise ImportFileError(f"CSV 파일을 읽을 수 없습니다({len(records) + 1}행): {exc}") from exc
    return _table(filename, records, "csv", encoding)


def _read_xlsx(data: bytes, filename: str) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(
            "엑셀 파일을 열 수 없습니다. 파일이 손상되지 않았는지, 암호가 걸려 있지 않은지 "
            "확인하세요."
        ) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError("엑셀 파일에 시트가 없습니다.")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # stored dimensions are often wrong; read what is there
        records = []
        for values in sheet.iter_rows(values_only=True):
            records.append([_cell_text(value) for value in values])
            if len(records) > MAX_ROWS + 1:
                break
    finally:
        workbook.close()
    return _table(filename, records, "xlsx")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a page typed as 145 is stored as 145.0
    if hasattr(value, "isoformat"):
        if hasattr(value, "hour") and not (value.hour or value.minute or value.second):
            value = value.date()
        return value.isoformat()
    return str(value)


def _table(filename: str, records: list[list[str]], file_format: str, encoding="") -> Table:
    if not records:
        raise ImportFileError("파일이 비어 있습니다.")
    headers = [cell.strip() for cell in records[0]]
    while headers and not headers[-1]:
        headers.pop()
    rows = [
        TableRow(number, tuple(cells))
        for number, cells in enumerate(records[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    return Table(filename, headers, rows, file_format, encoding)


# --- the preview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """An error or warning: where (row and column header as in the file) and what."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column is None:
            return f"{self.row}행: {self.message}"
        return f"{self.row}행 '{self.column}': {self.message}"


@dataclass(frozen=True)
class Change:
    """One field an import sets, as text for display: ``old`` is empty for a new service."""

    field: str
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}: {self.old or '—'} → {self.new or '—'}"


@dataclass
class RowResult:
    number: int
    name: str = ""
    action: str = ERROR
    plan: Plan | None = None
    service: Service | None = None  # the existing service an update or unchanged row matched
    matched_by: str = ""  # "id" or "name" when it matched a service
    values: dict = field(default_factory=dict)  # Service field -> value to write
    tags: list[Tag] | None = None  # None: the file has no 태그 column, leave tags alone
    changes: list[Change] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]


@dataclass
class ImportPreview:
    """What an import would do, row by row; ``apply`` writes it."""

    filename: str
    plan: Plan | None
    rows: list[RowResult]
    file_errors: list[Issue] = field(default_factory=list)
    file_warnings: list[Issue] = field(default_factory=list)
    applied: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts

    @property
    def errors(self) -> list[Issue]:
        return self.file_errors + [issue for row in self.rows for issue in row.errors]

    @property
    def warnings(self) -> list[Issue]:
        return self.file_warnings + [issue for row in self.rows for issue in row.warnings]

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(row.errors for row in self.rows)

    @property
    def is_valid(self) -> bool:
        return not self.has_errors

    def rows_to(self, action: str) -> list[RowResult]:
        return [row for row in self.rows if row.action == action]

    def error_lines(self) -> list[str]:
        return [str(issue) for issue in self.errors]

    def warning_lines(self) -> list[str]:
        return [str(issue) for issue in self.warnings]

    def summary(self) -> list[tuple[str, int]]:
        """(label in the active language, rows) for each action, for the admin's preview."""
        return [(ACTION_LABELS[action], self.counts[action]) for action in ACTIONS]

    def summary_lines(self) -> list[str]:
        """The same in both languages, for the command line."""
        counts = self.counts
        return [
            f"새로 만듦 / to create: {counts[CREATE]}",
            f"고침 / to update: {counts[UPDATE]}",
            f"그대로 / unchanged: {counts[UNCHANGED]}",
            f"오류 행 / rows with errors: {counts[ERROR]}",
        ]


def prepare(
    table: Table,
    *,
    plan: Plan | None = None,
    allowed_municipalities: Iterable | None = None,
) -> ImportPreview:
    """Check every row of ``table`` without writing and say what importing it would do.

    ``plan``: import every row into this plan (rows may still carry 자치단체코드 and 계획명,
    which must then name this plan). Without it, every row names its plan.
    ``allowed_municipalities``: Municipality objects, their codes or a queryset; rows (and
    matched services) of any other municipality are errors. ``None`` allows all.
    """
    with translation.override("ko"):
        return _Preparer(table, plan, _allowed_codes(allowed_municipalities)).run()


def _allowed_codes(allowed: Iterable | None) -> set[str] | None:
    if allowed is None:
        return None
    if isinstance(allowed, models.QuerySet):
        return set(allowed.values_list("code", flat=True))
    return {item.code if isinstance(item, Municipality) else str(item) for item in allowed}


def _status_labels(language: str = "ko") -> dict[str, str]:
    with translation.override(language):
        return {value: str(label) for value, label in Service.Status.choices}


def _clean(value: str) -> str:
    """A cell's text without surrounding spaces or an export's formula guard."""
    value = value.strip()
    if len(value) > 1 and value[0] == "'" and value[1] in "".join(FORMULA_TRIGGERS):
        value = value[1:].strip()
    return value


def _same_text(old: str, new: str) -> bool:
    def norm(text: str) -> str:
        return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()

    return norm(old) == norm(new)


def _josa(word: str, with_final: str, without_final: str) -> str:
    """The particle that fits ``word``: _josa('교통', '이', '가') == '이'."""
    last = word.rstrip("'\" )")[-1:]
    if "가" <= last <= "힣":
        return with_final if (ord(last) - ord("가")) % 28 else without_final
    if last.isdigit():
        return with_final if last in "013678" else without_final
    return f"{with_final}({without_final})"


class _Preparer:
    def __init__(self, table: Table, plan: Plan | None, allowed: set[str] | None):
        self.table = table
        self.plan = plan
        self.allowed = allowed
        self.columns: dict[str, tuple[int, str]] = {}  # key -> (index, header as written)
        self.file_errors: list[Issue] = []
        self.file_warnings: list[Issue] = []
        self._municipalities: dict[str, Municipality] | None = None
        self._plans: dict[tuple[str, str], Plan | None] = {}
        self._services: dict[int, dict[str, Service]] = {}  # plan pk -> name -> service
        self._by_id: dict[int, Service] = {}

    # columns and cells

    def run(self) -> ImportPreview:
        self._map_columns()
        preview = ImportPreview(
            self.table.filename, self.plan, [], self.file_errors, self.file_warnings
        )
        if self.file_errors:
            return preview
        self._load_reference_data()
        self._preload_ids()
        for table_row in self.table.rows:
            if any(self.cell(table_row, key) for key in self.columns):
                preview.rows.append(self._row(table_row))
            else:
                self.file_warnings.append(
                    Issue(table_row.number, None, "가져오는 열이 모두 비어 있어 건너뜁니다.")
                )
        if not preview.rows:
            message = "가져올 행이 없습니다. 머리글 아래에 서비스를 한 행에 하나씩 적으세요."
            self.file_errors.append(Issue(None, None, message))
            return preview
        self._find_duplicates(preview.rows)
        for row in preview.rows:
            self._finish(row)
        return preview

    def _map_columns(self) -> None:
        unknown = []
        for index, header in enumerate(self.table.headers):
            if not header:
                continue
            column = HEADER_INDEX.get(_header_key(header))
            if column is None:
                unknown.append(header)
            elif column.key in self.columns:
                first = self.columns[column.key][1]
                self.file_errors.append(
                    Issue(
                        None,
                        None,
                        f"'{first}' 열과 '{header}' 열이 같은 항목({column.header})입니다. "
                        "하나만 남기세요.",
                    )
                )
            else:
                self.columns[column.key] = (index, header)
        if unknown:
            names = ", ".join(f"'{name}'" for name in unknown)
            self.file_warnings.append(Issue(None, None, f"알 수 없는 열은 무시합니다: {names}."))
        required = ["name", "category"]
        if self.plan is None:
            required[:0] = ["municipality_code", "plan_title"]
        for key in required:
            if key not in self.columns:
                column = COLUMN_BY_KEY[key]
                when = (
                    "" if key in ("name", "category") else " 계획을 따로 정하지 않으면 필요합니다."
                )
                self.file_errors.append(
                    Issue(None, None, f"필수 열이 없습니다: '{column.header}'({column.key}).{when}")
                )
        if not any(key in self.columns for key in SOURCE_KEYS):
            self.file_warnings.append(
                Issue(
                    None,
                    None,
                    "출처 열(출처 URL, 문서 쪽, 출처 메모)이 하나도 없습니다. 새 서비스에는 "
                    "출처가 필요합니다.",
                )
            )
        if self.plan is not None and self.allowed is not None:
            municipality = self.plan.municipality
            if municipality.code not in self.allowed:
                self.file_errors.append(
                    Issue(
                        None,
                        None,
                        f"권한이 없는 자치단체의 계획입니다: {municipality.name}"
                        f"({municipality.code}).",
                    )
                )

    def label(self, key: str) -> str:
        """The column's header as written in the file, or its standard header."""
        if key in self.columns:
            return self.columns[key][1]
        return COLUMN_BY_KEY[key].header

    def cell(self, table_row: TableRow, key: str) -> str | None:
        """The row's cleaned text in column ``key``; ``None`` when the file has no such column."""
        if key not in self.columns:
            return None
        index = self.columns[key][0]
        return _clean(table_row.cells[index]) if index < len(table_row.cells) else ""

    # reference data

    def _load_reference_data(self) -> None:
        self.categories = list(Category.objects.order_by("order"))
        self.category_index: dict[str, Category] = {}
        for category in self.categories:
            for name in (category.code, category.name_ko, category.name_en):
                self.category_index[_name_key(name)] = category
        self.subcategories = list(SubCategory.objects.select_related("category"))
        self.subcategory_index: dict[str, list[SubCategory]] = {}
        for sub in self.subcategories:
            for name in {_name_key(sub.code), _name_key(sub.name_ko), _name_key(sub.name_en)}:
                self.subcategory_index.setdefault(name, []).append(sub)
        self.tag_exact: dict[str, Tag] = {}
        self.tag_loose: dict[str, list[Tag]] = {}
        for tag in Tag.objects.all():
            for name in (tag.slug, tag.name):
                self.tag_exact.setdefault(name.casefold(), tag)
                loose = self.tag_loose.setdefault(_name_key(name), [])
                if tag not in loose:
                    loose.append(tag)
        self.status_labels = _status_labels("ko")
        self.status_index: dict[str, str] = {}
        for labels in (_status_labels("en"), self.status_labels):
            for value, label in labels.items():
                self.status_index[_name_key(value)] = value
                self.status_index[_name_key(label)] = value

    def _preload_ids(self) -> None:
        ids = {_parse_id(self.cell(table_row, "id") or "") for table_row in self.table.rows}
        ids.discard(None)
        if ids:
            services = _with_related(Service.objects.filter(pk__in=ids))
            self._by_id = {service.pk: service for service in services}

    def municipality(self, code: str) -> Municipality | None:
        if self._municipalities is None:
            self._municipalities = Municipality.objects.in_bulk(field_name="code")
        return self._municipalities.get(code)

    def find_plan(self, municipality: Municipality, title: str) -> Plan | None:
        key = (municipality.code, title)
        if key not in self._plans:
            self._plans[key] = (
                Plan.objects.select_related("municipality").filter(
                    municipality=municipality, title=title
                )
            ).first()
        return self._plans[key]

    def services_of(self, plan: Plan) -> dict[str, Service]:
        if plan.pk not in self._services:
            services = _with_related(Service.objects.filter(plan=plan))
            self._services[plan.pk] = {service.name: service for service in services}
        return self._services[plan.pk]

    # one row

    def _row(self, table_row: TableRow) -> RowResult:
        row = RowResult(table_row.number)
        self._check_width(row, table_row)
        row.plan = self._row_plan(row, table_row)
        self._match(row, table_row)
        self._read_values(row, table_row)
        return row

    def error(self, row: RowResult, key: str | None, message: str) -> None:
        row.errors.append(Issue(row.number, self.label(key) if key else None, message))

    def _check_width(self, row: RowResult, table_row: TableRow) -> None:
        named = {index for index, header in enumerate(self.table.headers) if header}
        if any(cell.strip() and i not in named for i, cell in enumerate(table_row.cells)):
            row.warnings.append(Issue(row.number, None, "머리글이 없는 열의 값은 무시합니다."))

    def _row_plan(self, row: RowResult, table_row: TableRow) -> Plan | None:
        code = self.cell(table_row, "municipality_code")
        title = self.cell(table_row, "plan_title")
        if self.plan is not None:
            plan = self.plan
            if code and code != plan.municipality.code:
                self.error(
                    row,
                    "municipality_code",
                    f"이 파일은 '{plan.title}'({plan.municipality.code}) 계획으로 가져오는데, "
                    f"이 행의 자치단체 코드는 '{code}'입니다.",
                )
            if title and title != plan.title:
                self.error(
                    row,
                    "plan_title",
                    f"이 파일은 '{plan.title}' 계획으로 가져오는데, 이 행의 계획명은 "
                    f"'{title}'입니다.",
                )
            return plan
        municipality = None
        if not code:
            self.error(row, "municipality_code", "자치단체 코드가 비어 있습니다.")
        else:
            municipality = self.municipality(code)
            if municipality is None:
                hint = "" if re.fullmatch(r"\d{5}", code) else " 자치단체 코드는 숫자 5자리입니다."
                self.error(
                    row, "municipality_code", f"알 수 없는 자치단체 코드 '{code}'입니다.{hint}"
                )
            elif self.allowed is not None and municipality.code not in self.allowed:
                self.error(
                    row,
                    "municipality_code",
                    f"권한이 없는 자치단체입니다: {municipality.name}({municipality.code}).",
                )
                municipality = None
        if not title:
            self.error(row, "plan_title", "계획명이 비어 있습니다.")
        elif municipality is not None:
            plan = self.find_plan(municipality, title)
            if plan is None:
                self.error(
                    row,
                    "plan_title",
                    f"{municipality.name}({municipality.code})에 계획명이 '{title}'인 계획이 "
                    "없습니다.",
                )
            return plan
        return None

    def _match(self, row: RowResult, table_row: TableRow) -> None:
        """Find the existing service the row is about: by id when given, else by name."""
        row.name = self.cell(table_row, "name") or ""
        raw_id = self.cell(table_row, "id")
        if raw_id:
            pk = _parse_id(raw_id)
            service = self._by_id.get(pk) if pk is not None else None
            if pk is None:
                self.error(row, "id", f"번호는 자연수여야 합니다('{raw_id}').")
            elif service is None:
                self.error(row, "id", f"번호 {pk}인 서비스가 없습니다.")
            elif self.allowed is not None and service.plan.municipality.code not in self.allowed:
                self.error(row, "id", f"권한이 없는 자치단체의 서비스입니다(번호 {pk}).")
            elif row.plan is not None and service.plan_id != row.plan.pk:
                self.error(
                    row,
                    "id",
                    f"번호 {pk}인 서비스는 다른 계획('{service.plan.title}', "
                    f"{service.plan.municipality.code})의 서비스입니다.",
                )
            elif row.plan is not None:
                row.service, row.matched_by = service, "id"
                other = self.services_of(row.plan).get(row.name)
                if row.name and other is not None and other.pk != service.pk:
                    self.error(
                        row,
                        "name",
                        f"이 계획에 서비스명이 '{row.name}'인 다른 서비스(번호 {other.pk})가 "
                        "이미 있습니다.",
                    )
        elif row.plan is not None and row.name:
            existing = self.services_of(row.plan)
            row.service = existing.get(row.name)
            if row.service is not None:
                row.matched_by = "name"
            else:
                wanted = search.normalize(row.name)
                similar = [s for s in existing.values() if search.normalize(s.name) == wanted]
                for service in similar:
                    row.warnings.append(
                        Issue(
                            row.number,
                            self.label("name"),
                            f"이 계획에 이름이 거의 같은 서비스 '{service.name}'(번호 "
                            f"{service.pk}){_josa(str(service.pk), '이', '가')} 있습니다. 같은 "
                            "서비스라면 이름을 똑같이 적거나 id를 적으세요.",
                        )
                    )

    def _read_values(self, row: RowResult, table_row: TableRow) -> None:
        creating = row.service is None
        values = row.values

        # 서비스명
        if "name" in self.columns:
            if not row.name:
                self.error(row, "name", "서비스명이 비어 있습니다.")
            else:
                self._check_length(row, "name", row.name)
                values["name"] = row.name

        description = self.cell(table_row, "description")
        if description is not None:
            values["description"] = description
        elif creating:
            values["description"] = ""

        # 분야
        category = None
        raw = self.cell(table_row, "category")
        if raw is not None:
            if not raw:
                self.error(row, "category", "분야가 비어 있습니다.")
            else:
                category = self.category_index.get(_name_key(raw))
                if category is None:
                    names = ", ".join(c.name_ko for c in self.categories)
                    self.error(
                        row,
                        "category",
                        f"알 수 없는 분야 '{raw}'입니다. 쓸 수 있는 분야: {names}.",
                    )
                else:
                    values["category"] = category

        # 세부분야
        raw = self.cell(table_row, "subcategory")
        if raw is None:
            if creating:
                values["subcategory"] = None
        elif not raw:
            values["subcategory"] = None
        else:
            sub = self._subcategory(row, raw, category)
            if sub is not None:
                values["subcategory"] = sub

        # 상태
        raw = self.cell(table_row, "status")
        if raw is None:
            if creating:
                values["status"] = Service.Status.PLANNED
        elif not raw:
            values["status"] = Service.Status.PLANNED
        elif _name_key(raw) in self.status_index:
            values["status"] = self.status_index[_name_key(raw)]
        else:
            labels = ", ".join(self.status_labels.values())
            self.error(row, "status", f"알 수 없는 상태 '{raw}'입니다. {labels} 중 하나를 쓰세요.")

        # 태그
        raw = self.cell(table_row, "tags")
        if raw is not None:
            row.tags = self._tags(row, raw)
        elif creating:
            row.tags = []

        # 출처
        for key in SOURCE_KEYS:
            raw = self.cell(table_row, key)
            if raw is None:
                if creating:
                    values[key] = ""
                continue
            if key == "source_url" and raw:
                raw = self._url(row, raw)
                if raw is None:
                    continue
            else:
                self._check_length(row, key, raw)
            values[key] = raw
        effective = [
            values[key] if key in values else getattr(row.service, key, "") for key in SOURCE_KEYS
        ]
        if not any(effective) and not any(
            issue.column in {self.label(key) for key in SOURCE_KEYS} for issue in row.errors
        ):
            key = next((key for key in SOURCE_KEYS if key in self.columns), "source_url")
            self.error(row, key, "출처 URL, 문서 쪽, 출처 메모 중 하나는 적어야 합니다.")

    def _check_length(self, row: RowResult, key: str, value: str) -> bool:
        limit = Service._meta.get_field(COLUMN_BY_KEY[key].field).max_length
        if limit and len(value) > limit:
            self.error(row, key, f"{limit}자까지 쓸 수 있는데 {len(value)}자입니다.")
            return False
        return True

    def _url(self, row: RowResult, raw: str) -> str | None:
        url = raw if "://" in raw else f"https://{raw}"
        if not self._check_length(row, "source_url", url):
            return None
        try:
            URLValidator()(url)
        except ValidationError:
            self.error(
                row,
                "source_url",
                f"올바른 URL이 아닙니다: '{raw}'. 출처 설명은 '출처 메모' 열에 적으세요.",
            )
            return None
        return url

    def _subcategory(
        self, row: RowResult, raw: str, category: Category | None
    ) -> SubCategory | None:
        candidates = self.subcategory_index.get(_name_key(raw), [])
        if category is not None:
            for sub in candidates:
                if sub.category_id == category.pk:
                    return sub
        if candidates and category is not None:
            sub = candidates[0]
            self.error(
                row,
                "subcategory",
                f"세부 분야 '{raw}'{_josa(raw, '은', '는')} '{sub.category.name_ko}' 분야에 "
                f"속해서 '{category.name_ko}' 분야 서비스에 쓸 수 없습니다.",
            )
        elif not candidates:
            own = [
                s.name_ko for s in self.subcategories if category and s.category_id == category.pk
            ]
            hint = (
                f" '{category.name_ko}' 분야의 세부 분야: {', '.join(own)}."
                if own
                else (" 이 분야에는 세부 분야가 없습니다." if category is not None else "")
            )
            self.error(row, "subcategory", f"알 수 없는 세부 분야 '{raw}'입니다.{hint}")
        return None

    def _tags(self, row: RowResult, raw: str) -> list[Tag] | None:
        tags: list[Tag] = []
        unknown = []
        for part in TAG_SEPARATORS.split(raw):
            name = part.strip()
            if not name:
                continue
            tag = self.tag_exact.get(name.casefold())
            if tag is None:
                loose = self.tag_loose.get(_name_key(name), [])
                tag = loose[0] if len(loose) == 1 else None
            if tag is None:
                unknown.append(name)
            elif tag not in tags:
                tags.append(tag)
        if unknown:
            names = ", ".join(f"'{name}'" for name in unknown)
            self.error(row, "tags", f"알 수 없는 태그입니다: {names}.")
            return None
        return tags

    # across rows

    def _find_duplicates(self, rows: list[RowResult]) -> None:
        by_name: dict[tuple[int, str], int] = {}
        by_service: dict[int, int] = {}
        for row in rows:
            if row.plan is not None and row.name:
                key = (row.plan.pk, row.name)
                if key in by_name:
                    self.error(
                        row,
                        "name",
                        f"{by_name[key]}행과 {row.number}행에 같은 계획의 서비스명 "
                        f"'{row.name}'{_josa(row.name, '이', '가')} 두 번 나옵니다. 한 행만 "
                        "남기세요.",
                    )
                else:
                    by_name[key] = row.number
            if row.service is not None:
                if row.service.pk in by_service:
                    first = by_service[row.service.pk]
                    key = "id" if row.matched_by == "id" else "name"
                    self.error(
                        row,
                        key,
                        f"{first}행과 {row.number}행이 같은 서비스(번호 {row.service.pk})를 "
                        "가리킵니다. 한 행만 남기세요.",
                    )
                else:
                    by_service[row.service.pk] = row.number

    def _finish(self, row: RowResult) -> None:
        """Classify the row and, when it would write, let the model validate it too."""
        if row.errors:
            row.action = ERROR
            return
        if row.service is None:
            row.action = CREATE
            row.changes = [
                Change(name, self.label(COLUMN_BY_FIELD[name].key), "", new)
                for name in COMPARED_FIELDS
                if (new := _display(name, row.values.get(name), self.status_labels))
            ]
            if row.tags:
                row.changes.append(
                    Change("tags", self.label("tags"), "", _display("tags", row.tags))
                )
            candidate = Service(
                plan=row.plan,
                is_published=False,
                category_basis=Service.CategoryBasis.EDITOR,
                **row.values,
            )
        else:
            row.changes = _changes(
                row.service, row.values, row.tags, self.status_labels, self.label
            )
            if not row.changes:
                row.action = UNCHANGED
                return
            candidate = _copy(row.service)
            for name, value in row.values.items():
                setattr(candidate, name, value)
        for name, messages in _model_errors(candidate).items():
            column = COLUMN_BY_FIELD.get(name)
            for message in messages:
                self.error(row, column.key if column else None, message)
        row.action = ERROR if row.errors else (CREATE if row.service is None else UPDATE)


def _parse_id(raw: str) -> int | None:
    match = re.fullmatch(r"(\d+)(?:\.0+)?", raw)
    return int(match[1]) if match and int(match[1]) > 0 else None


def _with_related(services: models.QuerySet) -> models.QuerySet:
    return services.select_related(
        "plan__municipality", "category", "subcategory"
    ).prefetch_related("tags")


def _copy(service: Service) -> Service:
    """An unsaved twin of ``service`` (same pk) to validate new values on."""
    twin = Service(
        **{f.attname: getattr(service, f.attname) for f in Service._meta.concrete_fields}
    )
    twin._state.adding = False
    twin._state.db = service._state.db
    twin.plan = service.plan
    return twin


def _model_errors(candidate: Service) -> dict[str, list[str]]:
    """What ``full_clean`` says about ``candidate`` (uniqueness excludes the row itself)."""
    try:
        with translation.override("ko"):
            candidate.full_clean()
    except ValidationError as exc:
        with translation.override("ko"):
            errors = {
                (None if name == NON_FIELD_ERRORS else name): [str(m) for m in messages]
                for name, messages in exc.message_dict.items()
            }
        return errors
    return {}


def _display(name: str, value, status_labels: dict[str, str] | None = None) -> str:
    if value is None:
        return ""
    if name in ("category", "subcategory"):
        return value.name_ko
    if name == "status":
        return (status_labels or _status_labels())[value]
    if name == "tags":
        return "; ".join(tag.name for tag in value)
    return str(value)


def _changed_fields(service: Service, values: dict) -> list[str]:
    changed = []
    for name, new in values.items():
        if name in ("category", "subcategory", "plan"):
            if getattr(service, f"{name}_id") != (new.pk if new is not None else None):
                changed.append(name)
        elif name in TEXT_FIELDS:
            if not _same_text(getattr(service, name), new):
                changed.append(name)
        elif getattr(service, name) != new:
            changed.append(name)
    return changed


def _tags_differ(service: Service, tags: list[Tag] | None) -> bool:
    if tags is None:
        return False
    return {tag.pk for tag in service.tags.all()} != {tag.pk for tag in tags}


def _changes(service, values, tags, status_labels, label) -> list[Change]:
    """What the row changes on ``service``; ``label(key)`` names a column."""
    changes = [
        Change(
            name,
            label(COLUMN_BY_FIELD[name].key),
            _display(name, getattr(service, name), status_labels),
            _display(name, values[name], status_labels),
        )
        for name in _changed_fields(service, values)
    ]
    if _tags_differ(service, tags):
        changes.append(
            Change(
                "tags",
                label("tags"),
                _display("tags", list(service.tags.all())),
                _display("tags", tags),
            )
        )
    return changes


# --- writing -------------------------------------------------------------------------------


class ImportRefused(Exception):
    """``apply`` wrote nothing: the preview has errors, or the data changed since."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("가져오기를 하지 않았습니다(아무것도 쓰지 않음):\n" + "\n".join(lines))


@dataclass
class ImportResult:
    created: list[Service] = field(default_factory=list)
    updated: list[Service] = field(default_factory=list)
    unchanged: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {CREATE: len(self.created), UPDATE: len(self.updated), UNCHANGED: self.unchanged}

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def lines(self) -> list[str]:
        return [
            f"새로 만듦 / created: {len(self.created)} (비공개 초안 / unpublished drafts)",
            f"고침 / updated: {len(self.updated)}",
            f"그대로 / unchanged: {self.unchanged}",
        ]


def apply(preview: ImportPreview, *, user=None) -> ImportResult:
    """Write the preview in one transaction: every row or, on any error, nothing.

    ``user``, when given, is recorded as the author of the change history. Raises
    ``ImportRefused`` when the preview has errors, was applied already, or a row no longer
    fits the database (someone changed the plan's services since the preview).
    """
    if preview.has_errors:
        raise ImportRefused(preview.error_lines())
    if preview.applied:
        raise ImportRefused(["이미 적용한 미리보기입니다. 파일을 다시 읽어 미리보기를 만드세요."])
    result = ImportResult()
    reason = f"가져오기: {preview.filename}"[:100]
    with translation.override("ko"), transaction.atomic():
        for row in preview.rows:
            if row.action == CREATE:
                result.created.append(_create(row, user, reason))
            elif row.action == UPDATE:
                service = _update(row, user, reason)
                if service is None:
                    result.unchanged += 1
                else:
                    result.updated.append(service)
            else:
                result.unchanged += 1
    preview.applied = True
    return result


def _field_header(name: str | None) -> str | None:
    column = COLUMN_BY_FIELD.get(name)
    return column.header if column else None


def _refused(row: RowResult, messages: list[tuple[str | None, str]]) -> ImportRefused:
    lines = [str(Issue(row.number, _field_header(name), message)) for name, message in messages]
    lines.append("미리보기 뒤에 데이터가 바뀌었을 수 있습니다. 파일을 다시 읽어 확인하세요.")
    return ImportRefused(lines)


def _stamp(service: Service, user, reason: str) -> None:
    """Who and why, for the change history (django-simple-history reads these)."""
    service._change_reason = reason
    if user is not None:
        service._history_user = user


def _save(service: Service, row: RowResult, **kwargs) -> None:
    try:
        with transaction.atomic():
            service.save(**kwargs)
    except IntegrityError as exc:
        raise _refused(row, [(None, f"데이터베이스가 이 행을 거부했습니다: {exc}")]) from exc


def _create(row: RowResult, user, reason: str) -> Service:
    # prepare() validated the row with full_clean; only the database's state can have
    # changed since, and what it enforces (unique names, references) it refuses itself.
    service = Service(
        plan=row.plan,
        is_published=False,
        category_basis=Service.CategoryBasis.EDITOR,
        **row.values,
    )
    _stamp(service, user, reason)
    _save(service, row)
    if row.tags:
        service.tags.set(row.tags)
    return service


def _update(row: RowResult, user, reason: str) -> Service | None:
    """Bring the matched service to the row's values; ``None`` if it already has them."""
    service = Service.objects.select_for_update().filter(pk=row.service.pk).first()
    if service is None:
        raise _refused(row, [(None, f"번호 {row.service.pk}인 서비스가 지워졌습니다.")])
    changed = _changed_fields(service, row.values)
    tags_changed = _tags_differ(service, row.tags)
    if not changed and not tags_changed:
        return None
    for name in changed:
        setattr(service, name, row.values[name])
    if changed:  # the service may have changed since the preview: validate the whole of it
        errors = _model_errors(service)
        if errors:
            raise _refused(row, [(n, m) for n, messages in errors.items() for m in messages])
    _stamp(service, user, reason)
    _save(service, row, update_fields=[*changed, "updated_at"])
    if tags_changed:
        service.tags.set(row.tags)
    return service


# --- export and template -------------------------------------------------------------------


def export_rows(services: models.QuerySet) -> Iterator[dict]:
    """The services as rows of the import layout, keyed by the Korean headers (``TEMPLATE``)."""
    labels = _status_labels("ko")
    for service in _with_related(services):
        values = {
            "id": service.pk,
            "municipality_code": service.plan.municipality.code,
            "plan_title": service.plan.title,
            "name": service.name,
            "description": service.description,
            "category": service.category.name_ko,
            "subcategory": service.subcategory.name_ko if service.subcategory else "",
            "status": labels.get(service.status, service.status),
            "tags": "; ".join(tag.name for tag in service.tags.all()),
            "source_url": service.source_url,
            "source_page": service.source_page,
            "source_note": service.source_note,
        }
        yield {COLUMN_BY_KEY[key].header: value for key, value in values.items()}


def template_rows() -> list[dict]:
    """The template's rows: none. Its header (``TEMPLATE``) is the whole layout."""
    return []


EXPORT_FORMATS = ("xlsx", "csv")


def template_response(file_format: str = "xlsx"):
    """Download the empty import template (header row only) as XLSX or CSV (with BOM)."""
    return _response(template_rows(), "service-import-template", file_format)


def plan_export_response(plan: Plan, file_format: str = "xlsx", services=None):
    """Download a plan's services (drafts included) in the import layout, ready to edit."""
    if services is None:
        services = Service.objects.filter(plan=plan).order_by("name", "id")
    stem = f"services-{plan.municipality.code}-plan{plan.pk}"
    return _response(export_rows(services), stem, file_format)


def _response(rows, stem: str, file_format: str):
    from catalog.views.exports import csv_response, dated, xlsx_response

    if file_format == "csv":
        return csv_response(rows, TEMPLATE, dated(stem, "csv"), with_bom=True)
    if file_format == "xlsx":
        return xlsx_response(rows, TEMPLATE, dated(stem, "xlsx"), sheet="services")
    raise ValueError(f"file_format must be one of {EXPORT_FORMATS}, not {file_format!r}")
