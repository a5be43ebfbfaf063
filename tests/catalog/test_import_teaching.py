"""An import that is easy to find and teaches itself: the entry on the admin home and the plan
list, a template with an example row, drop-down lists and notes, badges that say what they
count, errors that name the valid or nearest values, and a clear way to upload a fixed file."""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from catalog.importing import TEMPLATE, prepare, read_table
from catalog.importing.columns import EXAMPLE_NAME, EXPORT_KEYS
from catalog.importing.template import EXAMPLE
from catalog.models import Category, EditorAssignment, Service, SubCategory, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, plan):
    user = User.objects.create_user("editor", password="pw-1234-long", is_staff=True)
    user.groups.add(Group.objects.get(name="편집자"))
    EditorAssignment.objects.create(user=user, municipality=plan.municipality)
    client.force_login(user)
    return client


@pytest.fixture
def template(editor):
    response = editor.get(reverse("admin:catalog_plan_import_template"))
    assert response["Content-Disposition"].startswith(
        'attachment; filename="service-import-template-'
    )
    return load_workbook(io.BytesIO(response.content))


def column(sheet, header: str) -> str:
    """The letter of the column under ``header`` in row 1."""
    return next(cell.column_letter for cell in sheet[1] if cell.value == header)


def listed(workbook, reference: str) -> list[str]:
    """The values of a range such as ``'목록'!$A$2:$A$13``."""
    sheet_name, cells = reference.split("!")
    sheet = workbook[sheet_name.strip("'")]
    return [cell.value for (cell,) in sheet[cells.replace("$", "")]]


def xlsx(workbook) -> io.BytesIO:
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "filled.xlsx"
    return buffer


def test_the_admin_home_and_the_plan_list_lead_to_the_import(editor):
    many = reverse("admin:catalog_plan_import_many")
    home = editor.get("/admin/").content.decode()
    assert ">가져오기</h2>" in home
    assert many in home
    assert reverse("admin:catalog_plan_import_template") in home
    assert many in editor.get(reverse("admin:catalog_plan_changelist")).content.decode()


def test_the_template_has_the_layout_an_example_row_and_three_sheets(template):
    assert template.sheetnames == ["서비스", "목록", "안내"]
    services = template["서비스"]
    assert [cell.value for cell in services[1]] == list(TEMPLATE)
    example = {header: cell.value for header, cell in zip(TEMPLATE, services[2], strict=True)}
    assert example["서비스명"] == EXAMPLE_NAME
    assert example["분야"] == "교통"
    assert services.max_row == 2


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "분야",
            lambda: list(Category.objects.order_by("order").values_list("name_ko", flat=True)),
        ),
        ("세부분야", lambda: list(SubCategory.objects.values_list("name_ko", flat=True))),
        ("상태", lambda: ["계획", "구축", "운영", "중단"]),
        ("계획종류", lambda: ["스마트도시계획", "조성사업", "챌린지", "솔루션 확산사업", "기타"]),
        ("분야 근거", lambda: ["출처에 명시", "편집자 분류", "자동 제안"]),
    ],
)
def test_the_template_offers_drop_down_lists_of_the_valid_values(template, header, expected):
    services = template["서비스"]
    letter = column(services, header)
    (validation,) = [
        v for v in services.data_validations.dataValidation if f"{letter}2:" in str(v.sqref)
    ]
    assert validation.type == "list"
    assert listed(template, validation.formula1) == expected()


def test_the_second_sheet_lists_every_tag_and_code(template):
    lists = template["목록"]
    rows = list(lists.iter_rows(values_only=True))
    tag_column = rows[0].index("태그")
    tags = {row[tag_column]: row[tag_column + 1] for row in rows[1:] if row[tag_column]}
    assert tags == dict(Tag.objects.values_list("name", "slug"))
    category_codes = {row[0]: row[1] for row in rows[1:] if row[0]}
    assert category_codes["교통"] == "transport"


def test_the_template_notes_which_columns_may_stay_blank(template):
    services = template["서비스"]
    notes = {cell.value: cell.comment.text for cell in services[1]}
    for header in ("id", "자치단체코드", "계획명"):
        assert "비워 두어도 됩니다" in notes[header] or "비워 두면" in notes[header]
    assert "꼭 적어야 합니다" in notes["서비스명"]
    guide = "\n".join(str(row[0]) for row in template["안내"].iter_rows(values_only=True))
    assert "예시" in guide


def test_the_example_row_names_only_values_the_import_accepts(plan):
    filled = Workbook()
    filled.active.append(list(TEMPLATE))
    values = {**EXAMPLE, "name": "스마트 버스정류장", "plan_title": plan.title}
    filled.active.append([values.get(key, "") for key in EXPORT_KEYS])
    preview = prepare(read_table(xlsx(filled).getvalue(), "example.xlsx"))
    assert preview.error_lines() == []
    assert preview.counts["create"] == 1


def test_the_example_row_is_never_imported(editor, plan, template):
    services = template["서비스"]
    upload = xlsx(template)
    only_example = editor.post(
        reverse("admin:catalog_plan_import", args=[plan.pk]), {"file": upload}
    )
    assert only_example.context["preview"].has_errors  # nothing to import
    assert "양식의 예시 행이라 가져오지 않습니다." in only_example.content.decode()

    row = dict.fromkeys(TEMPLATE, None)
    row.update({"서비스명": "스마트 버스정류장", "분야": "교통", "문서 쪽": "45"})
    services.append([row[header] for header in TEMPLATE])
    preview = editor.post(
        reverse("admin:catalog_plan_import", args=[plan.pk]), {"file": xlsx(template)}
    )
    assert preview.context["preview"].counts == {
        "create": 1,
        "update": 0,
        "unchanged": 0,
        "error": 0,
    }
    editor.post(
        reverse("admin:catalog_plan_import", args=[plan.pk]),
        {"confirm": "1", "token": preview.context["token"]},
    )
    assert list(Service.objects.values_list("name", flat=True)) == ["스마트 버스정류장"]


HEADER = "서비스명,분야,세부분야,분야 근거,상태,태그,문서 쪽\n"


@pytest.mark.parametrize(
    ("cells", "column", "says"),
    [
        (
            "가로등,교통수단,,,계획,,1",
            "분야",
            ["쓸 수 있는 분야: 행정, 교통", "혹시 '교통'인가요?"],
        ),
        ("가로등,교통,,,계회,,1", "상태", ["계획, 구축, 운영, 중단 중 하나", "혹시 '계획'인가요?"]),
        ("가로등,교통,,,계획,CCTV;드로온,1", "태그", ["쓸 수 있는 태그: ", "혹시 '드론'인가요?"]),
        ("가로등,,주차공감,,계획,,1", "세부분야", ["쓸 수 있는 세부 분야: 교통 › 신교통 인프라"]),
        ("가로등,교통,주차공감,,계획,,1", "세부분야", ["'교통' 분야의 세부 분야: 신교통 인프라"]),
        ("가로등,교통,,편집자분류요,계획,,1", "분야 근거", ["출처에 명시, 편집자 분류, 자동 제안"]),
    ],
)
def test_every_unknown_value_names_the_valid_or_nearest_values(editor, plan, cells, column, says):
    upload = io.BytesIO((HEADER + cells + "\n").encode("utf-8-sig"))
    upload.name = "bad.csv"
    response = editor.post(reverse("admin:catalog_plan_import", args=[plan.pk]), {"file": upload})
    (line,) = [line for line in response.context["preview"].error_lines() if f"'{column}'" in line]
    for words in says:
        assert words in line


@pytest.mark.parametrize(
    ("cells", "says"),
    [
        (
            "41281,고양시 스마트도시계획,가로등",
            "가까운 코드: 41280 경기도 고양시, 41290 경기도 과천시",
        ),  # 41281 is a district of 고양시
        ("41280,고양 스마트도시계획,가로등", "이 자치단체의 계획: '고양시 스마트도시계획'"),
    ],
)
def test_an_unknown_code_or_plan_names_the_nearest_ones(cells, says, plan):
    text = "자치단체코드,계획명,서비스명,분야,문서 쪽\n" + cells + ",교통,1\n"
    preview = prepare(read_table(text.encode(), "research.csv"))
    assert any(says in line for line in preview.error_lines())


def test_an_unknown_sido_lists_the_sido(plan):
    text = "시·도,자치단체,계획명,서비스명,분야,문서 쪽\n경기두,고양시,x,가로등,교통,1\n"
    (line,) = prepare(read_table(text.encode(), "research.csv")).error_lines()
    assert "시·도: 서울특별시, 부산광역시" in line


def test_an_unknown_header_names_the_nearest_one(plan):
    text = "서비스 명칭,분야,문서 쪽\n가로등,교통,1\n"
    preview = prepare(read_table(text.encode(), "plan.csv"), plan=plan)
    assert any("혹시 '서비스명'" in line for line in preview.warning_lines())


def test_preview_badges_say_what_they_count_and_errors_are_red(editor, plan):
    upload = io.BytesIO((HEADER + "가로등,교통,,,계획,,1\n주차,교통수단,,,계획,,2\n").encode())
    upload.name = "bad.csv"
    body = editor.post(reverse("admin:catalog_plan_import", args=[plan.pk]), {"file": upload})
    body = body.content.decode()
    assert 'class="import-badge import-badge-error">오류가 있는 행 <strong>1</strong>' in body
    assert 'class="import-badge import-badge-create">새로 만들 서비스 <strong>1</strong>' in body
    assert "icon-yes" not in body


def test_after_an_error_a_fixed_file_goes_up_from_the_same_page(editor, plan):
    url = reverse("admin:catalog_plan_import", args=[plan.pk])
    bad = io.BytesIO((HEADER + "주차,교통수단,,,계획,,2\n").encode())
    bad.name = "bad.csv"
    response = editor.post(url, {"file": bad})
    body = response.content.decode()
    assert response.context["reupload_form"] is not None
    assert f'action="{url}" class="import-reupload"' in body
    assert "고친 파일로 다시 미리 보기" in body
    fixed = io.BytesIO((HEADER + "주차,교통,,,계획,,2\n").encode())
    fixed.name = "fixed.csv"
    again = editor.post(url, {"file": fixed})
    assert again.context["preview"].counts["create"] == 1
    assert again.context["reupload_form"] is None
    assert again.context["token"]
