"""The spreadsheet import, fed what a careless or hostile file can hold.

Whatever the bytes, ``read_table`` returns a ``Table`` or raises ``ImportFileError``. Whatever
the table, with or without a plan, with or without new plans and limits on municipalities,
``prepare`` never raises; every problem it reports is a non-empty line that names a data row of
the file (or is about the file as a whole) and, when it names a column, a header of the file or
of the layout. A preview without errors is written whole by ``apply`` or refused with nothing
written; it stays within the municipalities the importer may work on, creates plans only when
asked, and importing the same file again changes nothing. The admin's import pages answer a
page or a redirect, never a server error, and never write outside what the user may touch.

Examples per test are bounded by the ``fuzz`` profile of ``tests/test_fuzz.py`` (fewer where
an example writes to the database); under CI (``CI`` set) the ``fuzz-ci`` profile
derandomizes them, so a failure there fails the same way on every run. Each example runs in a
savepoint that is rolled back, so examples never see each other's writes.

The tests after the properties, marked ``xfail(strict=True)``, describe what the import should
do where it does not yet; each flips to a failure (XPASS) once it is fixed. The strategies keep
away from their triggers (named where they are left out), so the properties stay green.
"""

import csv
import datetime
import io
import re
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from catalog.importing import (
    COLUMNS,
    ImportFileError,
    ImportRefused,
    Table,
    apply,
    plan_export_response,
    prepare,
    read_table,
)
from catalog.importing.columns import COLUMN_BY_KEY
from catalog.importing.report import ACTIONS, CREATE, ERROR, UPDATE
from catalog.importing.validate import clean_cell
from catalog.models import (
    Category,
    EditorAssignment,
    Plan,
    PlanKind,
    Service,
    SubCategory,
    Tag,
)
from tests.catalog.workbooks import workbook_bytes
from tests.fuzz.profiles import FUZZ

# Generating a workbook or a file of many rows can take a while; that is not a problem here.
SLOW_DATA = [HealthCheck.too_slow, HealthCheck.data_too_large]
READING = settings(FUZZ, suppress_health_check=SLOW_DATA)
PREPARING = settings(
    FUZZ, max_examples=max(FUZZ.max_examples // 2, 1), suppress_health_check=SLOW_DATA
)
WRITING = settings(
    FUZZ, max_examples=max(FUZZ.max_examples // 3, 1), suppress_health_check=SLOW_DATA
)
REQUESTS = settings(
    FUZZ, max_examples=max(FUZZ.max_examples // 4, 1), suppress_health_check=SLOW_DATA
)

pytestmark = pytest.mark.django_db

ACCEPTED_HEADERS = tuple(header for column in COLUMNS for header in column.accepted_headers)
LAYOUT_HEADERS = frozenset(column.header for column in COLUMNS)
KEY_OF_HEADER = {header: column.key for column in COLUMNS for header in column.accepted_headers}


# -- the catalog the files meet ----------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Catalog:
    """What the fuzzed files can name: real plans, services and references, and the users."""

    plan_ids: tuple[int, ...]
    plans: tuple[tuple[str, str], ...]  # (municipality code, title)
    plan_titles: tuple[str, ...]
    plan_codes: tuple[str, ...]
    service_ids: tuple[int, ...]
    service_names: tuple[str, ...]
    category_names: tuple[str, ...]
    subcategory_names: tuple[str, ...]
    tag_names: tuple[str, ...]
    editor_codes: tuple[str, ...]  # the municipalities the editor is assigned to
    editor_plan_ids: tuple[int, ...]
    user_ids: dict

    def __repr__(self) -> str:  # kept short in failure reports
        return f"Catalog({len(self.plan_ids)} plans, {len(self.service_ids)} services)"


@pytest.fixture(scope="module")
def catalog(django_db_setup, django_db_blocker) -> Catalog:
    """The demo catalog with a draft, an editor (고양시 only), a reviewer (may add plans) and a
    clerk (everywhere, but may not add plans), built once and rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo_data", verbosity=0)
        goyang_plan = Plan.objects.filter(municipality__code="41280").order_by("pk").first()
        Service.objects.create(
            plan=goyang_plan,
            name="비공개 초안 서비스",
            category=Category.objects.get(code="transport"),
            source_page="3",
            is_published=False,
        )
        editor = User.objects.create_user("fuzz-editor", password="pw-1234-long", is_staff=True)
        editor.groups.add(Group.objects.get(name="편집자"))
        EditorAssignment.objects.create(user=editor, municipality=goyang_plan.municipality)
        reviewer = User.objects.create_user("fuzz-reviewer", password="pw-1234-long", is_staff=True)
        reviewer.groups.add(Group.objects.get(name="검토자"))
        clerk = User.objects.create_user("fuzz-clerk", password="pw-1234-long", is_staff=True)
        clerk.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="catalog",
                codename__in=[
                    "add_service",
                    "change_service",
                    "view_service",
                    "view_plan",
                    "change_plan",
                    "edit_all_municipalities",
                ],
            )
        )
        plans = list(Plan.objects.select_related("municipality").order_by("pk"))
        services = list(Service.objects.order_by("pk"))
        yield Catalog(
            plan_ids=tuple(plan.pk for plan in plans),
            plans=tuple((plan.municipality.code, plan.title) for plan in plans),
            plan_titles=tuple(sorted({plan.title for plan in plans})),
            plan_codes=tuple(sorted({plan.municipality.code for plan in plans})),
            service_ids=tuple(service.pk for service in services),
            service_names=tuple(sorted({service.name for service in services})),
            category_names=tuple(
                name
                for category in Category.objects.all()
                for name in (category.code, category.name_ko, category.name_en)
            ),
            subcategory_names=tuple(
                name for sub in SubCategory.objects.all()[:12] for name in (sub.code, sub.name_ko)
            ),
            tag_names=tuple(Tag.objects.values_list("name", flat=True)[:12]),
            editor_codes=("41280",),
            editor_plan_ids=tuple(plan.pk for plan in plans if plan.municipality.code == "41280"),
            user_ids={"editor": editor.pk, "reviewer": reviewer.pk, "clerk": clerk.pk},
        )
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _catalog_in_every_test(catalog):
    """Every test here meets the catalog above (and its rollback comes last)."""


@contextmanager
def rolled_back():
    """A savepoint undone at the end of the block, so that an example leaves nothing."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# -- cells --------------------------------------------------------------------------------

HOSTILE_CELLS = (
    "스마트 가로등",
    "ᄀ",  # a conjoining jamo
    "가\u200b나",  # zero-width space
    "\u202e거꾸로",
    "\x01\x1b\x7f",
    "\r",
    "\n",
    "\r\n",
    "\t",
    '"',
    '""',
    '"따옴표',
    'a"b',
    "a,b",
    "a;b",
    "=1+2",
    '=HYPERLINK("http://x")',
    "+82 10",
    "-3",
    "@SUM(A1)",
    "'=1+2",
    "'",
    "9" * 40,
    str(2**63),
    "-0",
    "1e400",
    "NaN",
    "99999",
    "2019~2018",
    "２０２０",
    "http://a.kr/a b",
    "https://a.kr/(x",
    "https://a.kr/x)))",
    "http://[",
    "https://",
    "www.",
    ".kr",
    "<script>alert(1)</script>",
    "%(row)d %s {0}",
    "😀👩‍👩‍👧",
    " ",
)
NUL = "\x00"


def hostile(*, nul: bool = False, long: int = 3000) -> st.SearchStrategy[str]:
    """Cells run together from hostile pieces; sometimes one piece repeated up to ``long``
    characters. NUL only when asked (see ``test_nul_never_reaches_the_database``)."""
    alphabet = st.characters(codec="utf-8", exclude_characters=None if nul else NUL)
    piece = st.one_of(
        st.sampled_from(HOSTILE_CELLS + ((NUL,) if nul else ())),
        st.text(alphabet=alphabet, max_size=12),
    )
    joined = st.lists(piece, max_size=4).map("".join)
    repeated = st.tuples(
        piece.filter(bool), st.integers(min_value=min(50, long), max_value=long)
    ).map(lambda pair: (pair[0] * pair[1])[:long])
    return st.one_of(joined, joined, joined, repeated, st.just(""))


MUNICIPALITY_VALUES = (
    "고양시",
    "고양",
    "경기 고양시",
    "경기도 고양시",
    "고양특례시",
    "41280",
    "41280.0",
    "4128000000",
    "4128012345",
    "42110",  # a former code: 강원 춘천시
    "47720",  # 군위군, before it moved
    "경상북도 군위군",
    "중구",
    "서울 중구",
    "동구",
    "광주",
    "고성군",
    "제주시",
    "서귀포시",
    "수원시 팔달구",
    "팔달구",
    "고양시 일산동구",
    "경기 서울",
    "세종시",
    "서울시 종로구",
    "김해시",
    "창원시",
    "11000",
    "99999",
    "1234567890",
    "서울",
    "경기",
    "고앙시",
)
SIDO_VALUES = (
    "경기",
    "경기도",
    "서울",
    "서울특별시",
    "경상북도",
    "대구",
    "41000",
    "경기 서울",
    "제주",
    "경남",
)
YEAR_VALUES = (
    "2020",
    "2019~2023",
    "2019-2023년",
    "2023~2019",
    "2019~2018",
    "99999",
    "1989",
    "2101",
    "2020~",
    "２０２０",
    "2020.0",
    "2019~2020~2021",
)
URL_VALUES = (
    "https://www.goyang.go.kr/smart.pdf",
    "https://a.kr/news?id=3",
    "http://x.go.kr/a b",
    "https://a.kr/(x",
    "https://a.kr/x)",
    "https://ko.wikipedia.org/wiki/A_(B)",
    "www.goyang.go.kr/plan.hwp",
    "https://a.kr (매일신문 2023-04-13); https://b.kr",
    "매일신문 2023-04-13",
    "https://",
    "http://[",
    "https://a.kr/" + "x" * 600,
)
NAME_VALUES = (
    "스마트 가로등",
    "공영주차장 안내",
    "드론 배송",
    "스마트 버스정류장",
    "스마트",
    "!!!",
)
PLAN_KIND_VALUES = (
    *PlanKind.values,
    *(str(label) for label in PlanKind.labels),
    "거점형",
    "강소형",
    "모름",
)
STATUS_VALUES = ("계획", "구축", "운영", "중단", "planned", "operating", "없음")
BASIS_VALUES = ("출처에 명시", "편집자 분류", "자동 제안", "source", "editor", "suggested", "모름")
PAGE_VALUES = ("12", "145–147", "p. 3", "1" * 25)
NEW_PLAN_TITLES = ("새 스마트도시계획", "거점형 스마트시티 조성사업", "챌린지 2024", "새 계획")


def id_cells(catalog: Catalog) -> st.SearchStrategy[str]:
    """Real and unreal service numbers, within what SQLite's integers hold (longer runs of
    digits: ``test_an_id_of_many_digits_is_a_row_error``)."""
    return st.one_of(
        st.sampled_from(catalog.service_ids).map(str),
        st.sampled_from(catalog.service_ids).map(lambda pk: f"{pk}.0"),
        st.integers(min_value=-10, max_value=2**63 - 1).map(str),
        st.sampled_from(("", "0", "-1", "1.5", "abc", " 3 ", "'12", "１２", "٣")),
    )


def cells_for(key: str | None, catalog: Catalog, *, nul: bool = False) -> st.SearchStrategy[str]:
    """What a column holds: mostly values that mean something to it, now and then anything."""
    meaningful = {
        "id": id_cells(catalog),
        "sido": st.sampled_from(SIDO_VALUES),
        "municipality": st.sampled_from(MUNICIPALITY_VALUES),
        "municipality_code": st.one_of(
            st.sampled_from(catalog.plan_codes), st.sampled_from(MUNICIPALITY_VALUES)
        ),
        "plan_title": st.sampled_from(catalog.plan_titles + NEW_PLAN_TITLES),
        "plan_kind": st.sampled_from(PLAN_KIND_VALUES),
        "plan_year": st.sampled_from(YEAR_VALUES),
        "plan_start_year": st.sampled_from(YEAR_VALUES),
        "plan_end_year": st.sampled_from(YEAR_VALUES),
        "plan_source": st.sampled_from(URL_VALUES),
        "name": st.sampled_from(NAME_VALUES + catalog.service_names),
        "category": st.sampled_from((*catalog.category_names, "보건/의료/복지", "없는분야")),
        "category_basis": st.sampled_from(BASIS_VALUES),
        "subcategory": st.sampled_from(catalog.subcategory_names),
        "status": st.sampled_from(STATUS_VALUES),
        "tags": st.lists(st.sampled_from((*catalog.tag_names, "없는태그")), max_size=3).map(
            "; ".join
        ),
        "source_url": st.sampled_from(URL_VALUES),
        "source_page": st.sampled_from(PAGE_VALUES),
    }.get(key)
    if key == "id":
        return st.one_of(meaningful, meaningful, st.just(""))
    anything = hostile(nul=nul)
    if meaningful is None:
        return anything
    return st.one_of(meaningful, meaningful, meaningful, anything, st.just(""))


def header_lists() -> st.SearchStrategy[list[str]]:
    """A header row: the layout's headers in any mix (some under another accepted name, some
    twice), with empty, unknown and hostile ones among them."""
    accepted = st.sampled_from(ACCEPTED_HEADERS)
    odd = st.one_of(
        st.sampled_from(("", " ", "시 · 도", "SERVICE_NAME", "출처URL", "=SUM(A1)", "비고 2")),
        hostile(long=50),
    )
    common = st.lists(
        st.sampled_from(("서비스명", "자치단체코드", "계획명", "문서 쪽", "분야")), max_size=3
    )
    return st.tuples(
        common, st.lists(st.one_of(accepted, accepted, accepted, odd), max_size=10)
    ).map(lambda pair: list(dict.fromkeys(pair[0])) + pair[1])


def sometimes(times: int) -> st.SearchStrategy[bool]:
    """True about once in ``times`` draws (a drawn integer would lean on its smallest value)."""
    return st.sampled_from((False,) * (times - 1) + (True,))


@st.composite
def grids(draw, catalog: Catalog, *, nul: bool = False) -> list[list[str]]:
    """A careless file: a header row and rows under it, column by column, anything anywhere
    now and then, blank rows here and there and values past the last header."""
    headers = draw(header_lists())
    keys = [KEY_OF_HEADER.get(header) for header in headers]
    rows = [headers]
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        if draw(sometimes(8)):
            rows.append([])
            continue
        row = [draw(cells_for(key, catalog, nul=nul)) for key in keys]
        if draw(sometimes(4)):
            row += draw(st.lists(hostile(long=20), min_size=1, max_size=2))
        rows.append(row)
    return rows


CLEAN_URLS = (
    "https://a.kr/news?id=3",
    "https://www.goyang.go.kr/smart.pdf",
    "https://a.kr (매일신문 2023-04-13); https://b.kr",
    "매일신문 2023-04-13",
    "www.goyang.go.kr/plan.hwp",
)
OPTIONAL_KEYS = ("category", "description", "status", "tags", "source_note", "source_url")


def free_text() -> st.SearchStrategy[str]:
    return hostile(long=400)


def read_back(text: str) -> str:
    """A cell as the import reads it from a CSV (spaces and an export's guard taken off)."""
    return clean_cell(text, guarded=True)


def service_names(catalog: Catalog) -> st.SearchStrategy[str]:
    """Names a service may have: the catalog's, ordinary ones and any text of 1–200 letters,
    some starting with a formula sign."""
    starts = st.sampled_from(("", "=", "+", "-", "@", "'-", " ", "스마트 "))
    anything = st.tuples(starts, free_text()).map(
        lambda pair: read_back(read_back(f"{pair[0]}서비스{pair[1]}")[:200])
    )
    return st.one_of(st.sampled_from(NAME_VALUES + catalog.service_names), anything)


@st.composite
def clean_grids(draw, catalog: Catalog, plan: Plan | None, codes: tuple[str, ...]) -> list:
    """A careful file: the layout's headers (in any order, under any accepted name) and
    values that mean something, any text only where any text goes. Without ``plan`` its rows
    name plans of ``codes``: existing ones and new ones."""
    if plan is not None:
        keys = ["name", "source_page"]
        keys += draw(st.lists(st.sampled_from((*OPTIONAL_KEYS, "plan_title")), max_size=4))
    else:
        keys = ["municipality_code", "plan_title", "name", "source_page"]
        keys += draw(st.lists(st.sampled_from((*OPTIONAL_KEYS, "plan_year")), max_size=4))
    keys = draw(st.permutations(list(dict.fromkeys(keys))))
    headers = [draw(st.sampled_from(COLUMN_BY_KEY[key].accepted_headers)) for key in keys]
    plans = [
        (code, title)
        for code, title in catalog.plans
        if (plan is None and code in codes) or (plan is not None and title == plan.title)
    ]
    new_plans = [(code, title) for code in codes for title in NEW_PLAN_TITLES]
    where = st.sampled_from(plans + new_plans) if plan is None else st.sampled_from(plans)
    names = draw(st.lists(service_names(catalog), min_size=1, max_size=5, unique_by=read_back))
    rows = [headers]
    for name in names:
        code, title = draw(where)
        values = {
            "municipality_code": code,
            "plan_title": title,
            "plan_year": ("2020", "2019~2023")[len(title) % 2],
            "name": name,
            "source_page": draw(st.sampled_from(PAGE_VALUES[:3])),
            "category": draw(st.sampled_from(("", *catalog.category_names))),
            "description": draw(free_text()),
            "status": draw(st.sampled_from(("", *STATUS_VALUES[:-1]))),
            "tags": "; ".join(draw(st.lists(st.sampled_from(catalog.tag_names), max_size=3))),
            "source_note": draw(free_text()),
            "source_url": draw(st.sampled_from(CLEAN_URLS)),
        }
        rows.append([values[key] for key in keys])
    return rows


# -- files ----------------------------------------------------------------------------------


def csv_text(rows: list[list[str]], *, delimiter: str, quoted: bool, newline: str) -> str:
    if not quoted:  # as a careless program writes: no quoting at all
        return newline.join(delimiter.join(row) for row in rows) + newline
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buffer.getvalue()


@st.composite
def csv_of(draw, rows: list[list[str]], *, careful: bool) -> tuple[str, bytes]:
    """``rows`` as a CSV file in any of the encodings and separators people save."""
    text = csv_text(
        rows,
        delimiter=draw(st.sampled_from((",", "\t")))
        if careful
        else draw(st.sampled_from((",", ",", "\t", ";"))),
        quoted=careful or not draw(sometimes(4)),
        newline=draw(st.sampled_from(("\r\n", "\n") if careful else ("\r\n", "\n", "\r"))),
    )
    encoding = draw(st.sampled_from(("utf-8-sig", "utf-8", "utf-16", "cp949")))
    if careful and encoding == "cp949":
        try:
            content = text.encode(encoding)
        except UnicodeEncodeError:
            content = text.encode("utf-8")
    else:
        content = text.encode(encoding, errors="replace")
    return draw(st.sampled_from(("services.csv", "x.CSV", "목록.csv"))), content


def xlsx_value(text: str):
    """Text as openpyxl can store it (no control characters, no leading ``=``)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return ("'" + text) if text.startswith("=") else text


# A time of 0:00 is left out: ``test_an_xlsx_time_of_midnight_is_read``.
TYPED_VALUES = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.dates(min_value=datetime.date(1900, 3, 1)),
    st.datetimes(min_value=datetime.datetime(1900, 3, 1)),
    st.times().filter(lambda t: (t.hour, t.minute, t.second) != (0, 0, 0)),
    st.none(),
)


@st.composite
def xlsx_of(draw, rows: list[list[str]], *, careful: bool) -> tuple[str, bytes]:
    """``rows`` as a workbook written with openpyxl; a careless one also holds numbers, dates
    and times, a stray value far to the right, a first empty row or a second sheet."""
    workbook = Workbook()
    sheet = workbook.active
    first = 2 if not careful and draw(sometimes(10)) else 1
    for offset, row in enumerate(rows):
        for column, text in enumerate(row, start=1):
            typed = offset and not careful and draw(sometimes(5))
            value = draw(TYPED_VALUES) if typed else xlsx_value(text)
            if value not in ("", None):
                sheet.cell(row=first + offset, column=column, value=value)
    if not careful and draw(st.booleans()):
        far = draw(st.sampled_from((30, 200, 16384)))
        sheet.cell(row=first + len(rows), column=far, value="x")
    if draw(st.booleans()):
        workbook.create_sheet("둘째").append(["서비스명", "무시"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return draw(st.sampled_from(("services.xlsx", "x.XLSX", "매크로.xlsm"))), buffer.getvalue()


def raw_bytes() -> st.SearchStrategy[tuple[str, bytes]]:
    """Anything at all under any name, some of it starting like a real file."""
    starts = st.sampled_from(
        (b"", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"id,")
    )
    body = st.binary(max_size=600)
    names = st.sampled_from(
        ("a.csv", "a.xlsx", "a.xlsm", "a.xls", "a.txt", "a", ".csv", "a.csv.exe", "A.XLSX")
    )
    return st.tuples(names, st.tuples(starts, body).map(b"".join))


def without_nul(rows: list[list[str]]) -> list[list[str]]:
    """NUL is kept out of files that reach the database: ``test_nul_never_reaches_the_database``."""
    return [[cell.replace(NUL, "") for cell in row] for row in rows]


@st.composite
def files(
    draw, catalog: Catalog, *, plan: Plan | None = None, codes=(), nul: bool = False
) -> tuple[str, bytes]:
    """A careless or a careful file (for ``plan``, or naming plans of ``codes``), CSV or
    XLSX."""
    careful = draw(st.booleans())
    if careful:
        rows = draw(clean_grids(catalog, plan, codes or catalog.plan_codes))
    else:
        rows = draw(grids(catalog))
    if not nul:
        rows = without_nul(rows)
    return draw(st.one_of(csv_of(rows, careful=careful), xlsx_of(rows, careful=careful)))


def read_or_refuse(filename: str, data: bytes) -> Table | None:
    """The table, or ``None`` when the file is refused with a message."""
    try:
        table = read_table(data, filename)
    except ImportFileError as error:
        message = str(error)
        event("file refused")
        table = None
    if table is None:
        assert message.strip()
        return None
    assert isinstance(table, Table)
    numbers = [row.number for row in table.rows]
    assert numbers == sorted(set(numbers))
    assert all(number > 1 for number in numbers)
    assert all(len(row.cells) == len(table.headers) for row in table.rows)
    return table


# -- what every preview must be -------------------------------------------------------------


def check_preview(table: Table, preview, *, plan, allowed, create_plans) -> None:
    data_rows = {row.number for row in table.rows}
    headers = set(table.headers) | LAYOUT_HEADERS
    for issue in [*preview.errors, *preview.warnings]:
        line = str(issue)
        assert isinstance(line, str), issue
        assert line.strip(), issue
        assert issue.message.strip(), issue
        if issue.row is not None:
            assert issue.row in data_rows, f"{line!r} names a row that holds no data"
            assert str(issue.row) in line, line
        if issue.column is not None:
            assert issue.column in headers, f"{line!r} names a column that is not in the layout"
    assert all(line.strip() for line in preview.error_lines())
    numbers = [row.number for row in preview.rows]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) <= data_rows
    assert all(row.action in ACTIONS for row in preview.rows)
    if not (create_plans and plan is None):
        assert not preview.new_plans
    if preview.has_errors:
        event("preview with errors")
        return
    event("preview without errors")
    assert all(row.action != ERROR for row in preview.rows)
    for row in preview.rows:
        if plan is not None:
            assert row.plan.pk == plan.pk
        if allowed is not None:
            assert row.plan.municipality.code in allowed
            if row.service is not None:
                assert row.service.plan.municipality.code in allowed


def counts() -> tuple[int, int]:
    return Service.objects.count(), Plan.objects.count()


@st.composite
def cases(draw, catalog: Catalog) -> tuple[str, bytes, dict]:
    """A file and how it is imported: into a plan or not, within some municipalities or all,
    creating plans or not, in either language."""
    plan_id = draw(st.one_of(st.none(), st.sampled_from(catalog.plan_ids)))
    plan = Plan.objects.select_related("municipality").get(pk=plan_id) if plan_id else None
    allowed = draw(st.sampled_from((None, None, catalog.editor_codes, ("41280", "48250"), ())))
    filename, content = draw(files(catalog, plan=plan, codes=allowed or ()))
    options = {
        "plan": plan,
        "allowed": allowed,
        "create_plans": draw(st.booleans()),
        "lookalikes": draw(st.booleans()),
        "language": draw(st.sampled_from(("ko", "ko", "en"))),
    }
    return filename, content, options


def prepared(table: Table, options: dict):
    with translation.override(options["language"]):
        preview = prepare(
            table,
            plan=options["plan"],
            allowed_municipalities=options["allowed"],
            create_plans=options["create_plans"],
            lookalikes=options["lookalikes"],
        )
        check_preview(
            table,
            preview,
            plan=options["plan"],
            allowed=options["allowed"],
            create_plans=options["create_plans"],
        )
    return preview


# -- the properties ---------------------------------------------------------------------------


@READING
@given(file=raw_bytes())
def test_any_bytes_are_read_as_a_table_or_refused_with_a_message(file):
    read_or_refuse(*file)


@READING
@given(data=st.data())
def test_any_csv_is_read_as_a_table_or_refused_with_a_message(catalog, data):
    rows = data.draw(
        st.one_of(grids(catalog, nul=True), clean_grids(catalog, None, catalog.plan_codes))
    )
    read_or_refuse(*data.draw(csv_of(rows, careful=data.draw(st.booleans()))))


@READING
@given(data=st.data())
def test_any_workbook_is_read_as_a_table_or_refused_with_a_message(catalog, data):
    rows = data.draw(st.one_of(grids(catalog), clean_grids(catalog, None, catalog.plan_codes)))
    read_or_refuse(*data.draw(xlsx_of(rows, careful=data.draw(st.booleans()))))


@PREPARING
@given(data=st.data())
def test_prepare_never_fails_and_every_problem_names_its_row_and_column(catalog, data):
    filename, content, options = data.draw(cases(catalog))
    table = read_or_refuse(filename, content)
    if table is None:
        return
    with rolled_back():
        prepared(table, options)


@WRITING
@given(data=st.data())
def test_a_clean_preview_is_written_whole_or_refused_and_then_changes_nothing(catalog, data):
    filename, content, options = data.draw(cases(catalog))
    table = read_or_refuse(filename, content)
    if table is None:
        return
    publish = data.draw(st.booleans())
    with rolled_back():
        preview = prepared(table, options)
        if preview.has_errors:
            before = counts()
            with pytest.raises(ImportRefused) as refused:
                apply(preview)
            assert refused.value.lines
            assert all(line.strip() for line in refused.value.lines)
            assert counts() == before
            return
        expected = preview.counts
        before = counts()
        try:
            result = apply(preview, publish=publish)
        except ImportRefused as error:
            refused, result = error, None
        if result is None:
            event("refused at apply")
            assert refused.lines
            assert all(line.strip() for line in refused.lines)
            assert counts() == before, "a refused import wrote something"
            return
        event("applied")
        services, plans = counts()
        assert services == before[0] + len(result.created) == before[0] + expected[CREATE]
        assert plans == before[1] + len(result.plans_created) == before[1] + len(preview.new_plans)
        assert len(result.updated) <= expected[UPDATE]
        with pytest.raises(ImportRefused):
            apply(preview)  # a preview is written once
        assert counts() == (services, plans)
        again = prepared(read_table(content, filename), {**options, "lookalikes": False})
        assert not again.has_errors, again.error_lines()
        assert not again.new_plans
        assert again.counts[CREATE] == again.counts[UPDATE] == 0, [
            (row.number, [str(change) for change in row.changes]) for row in again.rows
        ]


# -- the admin ----------------------------------------------------------------------------


MANY_URL = "/admin/catalog/plan/import/"


def upload(filename: str, content: bytes):
    file = io.BytesIO(content)
    file.name = filename
    return file


def untouchable(user: User):
    """What ``user`` may not change: the services outside their municipalities, and the
    plans when they may not add plans."""
    services = Service.objects.none()
    if not user.has_perm("catalog.edit_all_municipalities"):
        services = Service.objects.exclude(plan__municipality__editor_assignments__user=user)
    plans = None if user.has_perm("catalog.add_plan") else Plan.objects.count()
    return sorted(services.values_list("pk", "version")), plans


@REQUESTS
@given(data=st.data())
def test_the_admin_import_answers_a_page_or_a_redirect_and_stays_in_bounds(catalog, data):
    role = data.draw(st.sampled_from(("editor", "reviewer", "clerk")))
    user = User.objects.get(pk=catalog.user_ids[role])
    plan_ids = catalog.editor_plan_ids if role == "editor" else catalog.plan_ids
    plan_id = data.draw(st.one_of(st.none(), st.sampled_from(plan_ids)))
    url = reverse("admin:catalog_plan_import", args=[plan_id]) if plan_id else MANY_URL
    plan = Plan.objects.get(pk=plan_id) if plan_id else None
    codes = catalog.editor_codes if role == "editor" else ()
    filename, content = data.draw(
        st.one_of(files(catalog, plan=plan, codes=codes), files(catalog, plan=plan), raw_bytes())
    )
    form = {"file": upload(filename, content)}
    if data.draw(st.booleans()):
        form["create_plans"] = "on"
    with rolled_back():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        before = untouchable(user)
        response = client.post(url, form)
        assert response.status_code == 200, response.status_code
        token = response.context["token"] if "preview" in response.context else None
        event(f"preview {'with a token' if token else 'without a token'}")
        confirm = {"confirm": "1", "token": token or data.draw(hostile(long=80))}
        response = client.post(url, confirm)
        assert response.status_code in (200, 302), response.status_code
        assert untouchable(user) == before


# -- what the import should do and does not yet --------------------------------------------


def rewritten(data: bytes, member: str, change) -> bytes:
    """The workbook with one of its parts changed, as a damaged or hand-made file has it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == member else content)
    return out.getvalue()


def goyang_plan() -> Plan:
    return Plan.objects.select_related("municipality").filter(municipality__code="41280").first()


def plan_with_one_service(**fields) -> Plan:
    """A new plan of 고양시 holding one service with ``fields``."""
    plan = Plan.objects.create(municipality=goyang_plan().municipality, title="왕복 계획")
    fields = {
        "name": "가로등",
        "category": Category.objects.get(code="transport"),
        "source_page": "12",
        **fields,
    }
    Service.objects.create(plan=plan, **fields)
    return plan


def test_an_xlsx_time_of_midnight_is_read():
    data = workbook_bytes([["서비스명", "문서 쪽"], ["가로등", datetime.time(0, 0)]])
    table = read_table(data, "x.xlsx")
    assert table.rows[0].cells == ("가로등", "00:00:00")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda xml: xml[:-40], id="truncated-sheet-xml"),
        pytest.param(
            lambda xml: re.sub(
                rb'<c r="A2" t="inlineStr">.*?</c>', b'<c r="A2" t="s"><v>99</v></c>', xml
            ),
            id="shared-string-out-of-range",
        ),
    ],
)
def test_a_damaged_workbook_is_refused_with_a_message(change):
    data = rewritten(workbook_bytes([["서비스명"], ["가로등"]]), "xl/worksheets/sheet1.xml", change)
    with pytest.raises(ImportFileError):
        read_table(data, "x.xlsx")


def test_an_id_of_many_digits_is_a_row_error():
    plan = goyang_plan()
    for digits in ("9" * 19, "9" * 5000):
        table = read_table(f"id,서비스명,문서 쪽\n{digits},가로등,1\n".encode(), "x.csv")
        preview = prepare(table, plan=plan, lookalikes=False)
        assert [(issue.row, issue.column) for issue in preview.errors] == [(2, "id")]


def test_nul_never_reaches_the_database():
    content = "자치단체코드,계획명,서비스명,문서 쪽\n41280,새\x00계획,가로\x00등,1\n"
    with pytest.raises(ImportFileError, match="2행 '계획명' 열에 NUL 문자가 있습니다"):
        read_table(content.encode(), "x.csv")


def test_a_subcategory_under_an_empty_field_is_not_dropped_silently():
    sub = SubCategory.objects.select_related("category").order_by("pk").first()
    content = f"서비스명,세부분야,문서 쪽\n스마트 주차 안내,{sub.name_ko},1\n"
    preview = prepare(read_table(content.encode(), "x.csv"), plan=goyang_plan(), lookalikes=False)
    (row,) = preview.rows
    kept = row.values.get("subcategory") == sub and row.values["category"] == sub.category
    reported = any(issue.column == "세부분야" for issue in [*row.errors, *row.warnings])
    assert kept or reported


def test_a_new_plans_years_are_checked_across_rows():
    content = (
        "자치단체코드,계획명,시작연도,종료연도,서비스명,문서 쪽\n"
        "41280,새 계획,2025,,가로등,1\n"
        "41280,새 계획,,2020,주차,2\n"
    )
    with rolled_back():
        preview = prepare(
            read_table(content.encode(), "x.csv"), create_plans=True, lookalikes=False
        )
        assert [(issue.row, issue.column) for issue in preview.errors] == [(3, "종료연도")]


def test_a_code_and_a_name_or_province_that_disagree_are_an_error():
    title = goyang_plan().title
    content = (
        "자치단체코드,자치단체,시·도,계획명,서비스명,문서 쪽\n"
        f"41280,중구,,{title},가로등 1,1\n"
        f"41280,없는시,,{title},가로등 2,1\n"
        f"41280,,부산,{title},가로등 3,1\n"
    )
    preview = prepare(read_table(content.encode(), "x.csv"), lookalikes=False)
    assert sorted({issue.row for issue in preview.errors}) == [2, 3, 4]


def test_an_unknown_province_is_reported_under_its_own_column():
    content = (
        f"시·도,자치단체,계획명,서비스명,문서 쪽\n경기 서울,고양시,{goyang_plan().title},가로등,1\n"
    )
    preview = prepare(read_table(content.encode(), "x.csv"), lookalikes=False)
    assert [(issue.row, issue.column) for issue in preview.errors] == [(2, "시·도")]


def test_a_stated_basis_is_never_dropped_silently():
    with rolled_back():
        plan = plan_with_one_service(name="가로등", category_basis="editor")
        content = (
            "서비스명,분야,분야 근거,문서 쪽\n가로등,,출처에 명시,12\n새 서비스,,출처에 명시,12\n"
        )
        preview = prepare(read_table(content.encode(), "x.csv"), plan=plan, lookalikes=False)
        for row in preview.rows:
            stated = row.values.get("category_basis") == "source"
            reported = any(issue.column == "분야 근거" for issue in [*row.errors, *row.warnings])
            assert stated or reported, row.number


def exported(plan: Plan, file_format: str) -> bytes:
    response = plan_export_response(plan, file_format)
    return b"".join(response.streaming_content) if response.streaming else response.getvalue()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("field", ["name", "description", "source_page"])
def test_a_leading_apostrophe_survives_the_round_trip(file_format, field):
    value = {"source_page": "'+1"}.get(field, "'-' 표시 서비스")
    with rolled_back():
        plan = plan_with_one_service(**{field: value})
        data = exported(plan, file_format)
        preview = prepare(read_table(data, f"x.{file_format}"), plan=plan, lookalikes=False)
        assert preview.counts[UPDATE] == 0, [[str(c) for c in row.changes] for row in preview.rows]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.x.go.kr/board/view.do;jsessionid=AB12?id=3",
        "https://www.x.go.kr/a'b",
        "https://www.x.go.kr/page.",
    ],
)
def test_a_source_url_survives_the_round_trip(url):
    with rolled_back():
        plan = plan_with_one_service(source_url=url)
        preview = prepare(read_table(exported(plan, "csv"), "x.csv"), plan=plan, lookalikes=False)
        assert preview.counts[UPDATE] == 0, [[str(c) for c in row.changes] for row in preview.rows]


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(("가" * 50_000, "https://a.kr"), id="자치단체"),
        pytest.param(("고양시", "http://a.kr/" + ")" * 50_000), id="출처"),
    ],
)
def test_a_long_cell_costs_time_in_proportion_to_its_length(row):
    municipality, source = row
    content = f"자치단체,계획명,서비스명,출처\n{municipality},계획,가로등,{source}\n"
    table = read_table(content.encode(), "x.csv")
    started = time.perf_counter()
    prepare(table, lookalikes=False)
    assert time.perf_counter() - started < 0.5


def test_a_plans_export_needs_permission_to_view_it(client):
    plan = goyang_plan()
    user = User.objects.create_user("no-perms", password="pw-1234-long", is_staff=True)
    EditorAssignment.objects.create(user=user, municipality=plan.municipality)
    client.force_login(user)
    assert client.get(reverse("admin:catalog_plan_changelist")).status_code == 403
    response = client.get(reverse("admin:catalog_plan_export", args=[plan.pk]), {"format": "csv"})
    assert response.status_code in (403, 404)


def test_a_formula_without_a_value_is_not_read_as_empty_silently():
    workbook = workbook_bytes([["서비스명", "설명", "문서 쪽"], ["가로등", '="a"&"b"', "12"]])
    preview = prepare(read_table(workbook, "x.xlsx"), plan=goyang_plan(), lookalikes=False)
    assert any(issue.column == "설명" for issue in [*preview.errors, *preview.warnings])


def test_the_command_refuses_an_odd_plan_number_with_a_message(tmp_path):
    path = tmp_path / "services.csv"
    path.write_text("서비스명,문서 쪽\n가로등,1\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_services", str(path), "--plan", "²", "--dry-run")
