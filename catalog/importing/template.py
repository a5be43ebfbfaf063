"""The XLSX import template, written to teach its own layout.

* 서비스: the header row (``TEMPLATE``), a note on each header saying what it takes and whether
  it may stay blank, and one example row, which the import never reads (``EXAMPLE_NAME``);
  분야, 세부분야, 상태, 계획종류 and 분야 근거 offer drop-down lists (data validation).
* 목록: every value those lists offer, with its code, and every tag with its code and kind.
* 안내: each column in a sentence.

The reference values are read from the database when the file is made, so the lists are those
the import accepts at that moment.
"""

import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from catalog.importing.columns import COLUMN_BY_KEY, EXAMPLE_NAME, EXPORT_KEYS
from catalog.importing.resolve import choice_labels
from catalog.models import Category, PlanKind, Service, SubCategory, Tag
from catalog.spreadsheets import FORMULA_TRIGGERS, XLSX_CONTENT_TYPE

SERVICES, LISTS, GUIDE = "서비스", "목록", "안내"
VALIDATED_ROWS = 2000  # rows under the header that offer the drop-down lists
EXAMPLE = {
    "municipality_code": "41280",
    "plan_title": "고양시 스마트도시계획",
    "plan_kind": "스마트도시계획",
    "plan_year": "2024~2028",
    "name": EXAMPLE_NAME,
    "description": "버스 도착 정보와 냉난방 쉼터를 갖춘 정류장",
    "category": "교통",
    "category_basis": "편집자 분류",
    "subcategory": "신교통 인프라",
    "status": "계획",
    "tags": "IoT; 대중교통 이용자",
    "source_url": "https://www.goyang.go.kr/smartcity-plan.pdf",
    "source_page": "45",
}


def column_notes() -> dict[str, str]:
    """What each column takes, and whether it may stay blank."""
    sources = _("출처 URL, 문서 쪽, 출처 메모 중 하나는 꼭 적어야 합니다.")
    return {
        "id": _("비워 두면 새 서비스입니다. 내보낸 파일의 번호를 두면 그 서비스를 고칩니다."),
        "municipality_code": _(
            "한 계획에 가져올 때는 비워 두어도 됩니다. 여러 계획을 한 파일로 가져올 때는 "
            "자치단체코드(예: 41280)나 자치단체 이름이 필요합니다."
        ),
        "plan_title": _(
            "한 계획에 가져올 때는 비워 두어도 됩니다. 여러 계획을 한 파일로 가져올 때는 "
            "계획명이 필요합니다."
        ),
        "plan_kind": _("새 계획을 만들 때만 씁니다. 비워 두어도 됩니다(목록에서 고르기)."),
        "plan_year": _("새 계획을 만들 때만 씁니다. 2024 또는 2024~2028. 비워 두어도 됩니다."),
        "name": _("꼭 적어야 합니다. 200자까지, 한 계획 안에서 한 번만."),
        "description": _("비워 두어도 됩니다."),
        "category": _(
            "목록에서 고르세요. 비워 두면 분야를 제안하고, 검토자가 확인할 때까지 "
            "'자동 제안'으로 둡니다."
        ),
        "category_basis": _("비워 두면 '편집자 분류'입니다(목록에서 고르기)."),
        "subcategory": _("비워 두어도 됩니다. 고른 분야의 세부분야만 쓸 수 있습니다."),
        "status": _("비워 두면 '계획'입니다(목록에서 고르기)."),
        "tags": _(
            "비워 두어도 됩니다. 여러 개는 ;로 나눕니다. 쓸 수 있는 태그는 '목록' 시트에 있습니다."
        ),
        "source_url": sources,
        "source_page": sources,
        "source_note": sources,
    }


def teaching_workbook_response(filename: str) -> HttpResponse:
    response = HttpResponse(teaching_workbook(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def teaching_workbook() -> bytes:
    workbook = Workbook()
    services = workbook.active
    services.title = SERVICES
    lists = workbook.create_sheet(LISTS)
    ranges = _write_lists(lists)
    _write_services(services, ranges)
    _write_guide(workbook.create_sheet(GUIDE))
    workbook.active = 0
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text(value: str) -> str:
    """A value written as text, never read as a formula by a spreadsheet."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _write_lists(sheet) -> dict[str, str]:
    """Writes the valid values side by side, each block under a header row; returns, for the
    columns that get a drop-down list, the range that holds its names."""
    statuses = choice_labels(Service.Status.choices, "ko")
    kinds = choice_labels(PlanKind.choices, "ko")
    bases = choice_labels(Service.CategoryBasis.choices, "ko")
    blocks = {
        "category": (
            [_("분야"), _("분야 코드")],
            [[c.name_ko, c.code] for c in Category.objects.order_by("order")],
        ),
        "subcategory": (
            [_("세부분야"), _("세부분야 코드"), _("분야")],
            [
                [s.name_ko, s.code, s.category.name_ko]
                for s in SubCategory.objects.select_related("category")
            ],
        ),
        "status": (
            [_("상태"), _("상태 코드")],
            [[label, code] for code, label in statuses.items()],
        ),
        "plan_kind": (
            [_("계획종류"), _("계획종류 코드")],
            [[label, code] for code, label in kinds.items()],
        ),
        "category_basis": (
            [_("분야 근거"), _("분야 근거 코드")],
            [[label, code] for code, label in bases.items()],
        ),
        "tags": (
            [_("태그"), _("태그 코드"), _("태그 종류")],
            [[t.name, t.slug, t.get_kind_display()] for t in Tag.objects.order_by("kind", "name")],
        ),
    }
    ranges: dict[str, str] = {}
    first_column = 1
    for key, (header, rows) in blocks.items():
        for offset, title in enumerate(header):
            cell = sheet.cell(row=1, column=first_column + offset, value=str(title))
            cell.font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(first_column + offset)].width = 18
        for number, values in enumerate(rows, start=2):
            for offset, value in enumerate(values):
                sheet.cell(row=number, column=first_column + offset, value=_text(str(value)))
        letter = get_column_letter(first_column)
        ranges[key] = f"{quote_sheetname(LISTS)}!${letter}$2:${letter}${max(len(rows), 1) + 1}"
        first_column += len(header) + 1  # a blank column between blocks
    sheet.freeze_panes = "A2"
    return ranges


def _write_services(sheet, ranges: dict[str, str]) -> None:
    notes = column_notes()
    letters = {}
    for index, key in enumerate(EXPORT_KEYS, start=1):
        letter = get_column_letter(index)
        letters[key] = letter
        header = sheet.cell(row=1, column=index, value=COLUMN_BY_KEY[key].header)
        header.font = Font(bold=True)
        header.comment = Comment(notes[key], "catalog", width=320, height=110)
        sheet.cell(row=2, column=index, value=EXAMPLE.get(key) or None)
        sheet.column_dimensions[letter].width = 40 if key in ("name", "description") else 16
    for key, source in ranges.items():
        if key == "tags":
            continue  # several tags per cell: listed on the 목록 sheet, not a drop-down
        validation = DataValidation(
            type="list",
            formula1=source,
            allow_blank=True,
            errorStyle="warning",
            showErrorMessage=True,
            errorTitle=_("목록에 없는 값"),
            error=_("목록에 없는 값입니다. '목록' 시트에서 쓸 수 있는 값을 확인하세요."),
        )
        validation.add(f"{letters[key]}2:{letters[key]}{VALIDATED_ROWS + 1}")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"


def _write_guide(sheet) -> None:
    lines = [
        [_("이 파일을 쓰는 법")],
        [_("1행의 열 이름은 바꾸지 마세요. 열의 순서는 바꿔도 됩니다.")],
        [
            _(
                "2행은 예시입니다. 서비스명이 '(예시)'로 시작하는 이 행은 가져오지 않으니 "
                "지우거나 그대로 두세요."
            )
        ],
        [_("분야, 세부분야, 상태, 계획종류, 분야 근거는 칸을 누르면 나오는 목록에서 고릅니다.")],
        [_("쓸 수 있는 값과 코드, 태그는 '목록' 시트에 있습니다.")],
        [],
        [_("열"), _("적는 법")],
    ]
    notes = column_notes()
    lines += [[COLUMN_BY_KEY[key].header, notes[key]] for key in EXPORT_KEYS]
    for row in lines:
        sheet.append([str(value) for value in row])
    sheet["A1"].font = Font(bold=True)
    for cell in sheet[7]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 100
    for row in sheet.iter_rows(min_row=8):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
