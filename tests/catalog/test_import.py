"""Importing a plan's service table from CSV or XLSX: all rows or none, never twice."""

import csv
import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from catalog import search
from catalog.importing import (
    COLUMNS,
    TEMPLATE,
    ImportFileError,
    ImportRefused,
    apply,
    export_rows,
    plan_export_response,
    prepare,
    read_table,
    template_response,
    template_rows,
)
from catalog.models import Category, Municipality, Plan, Service, SubCategory, Tag
from tests.catalog.workbooks import workbook_bytes

pytestmark = pytest.mark.django_db

KO = {column.key: column.header for column in COLUMNS if column.header in TEMPLATE}
EN = {key: key for key in KO}
PLAN_TITLE = "고양시 스마트도시계획"


def row(**values) -> dict:
    """A good row for the conftest plan; keyword arguments (column keys) override."""
    base = {
        "municipality_code": "41280",
        "plan_title": PLAN_TITLE,
        "name": "스마트 가로등",
        "description": "밝기를 스스로 조절하는 가로등",
        "category": "방범·방재",
        "status": "계획",
        "tags": "IoT; LED",
        "source_page": "145",
    }
    base.update(values)
    return base


def table_rows(rows: list[dict], headers: dict) -> list[list]:
    keys = list(headers)
    return [[headers[key] for key in keys], *[[r.get(key, "") for key in keys] for r in rows]]


def csv_bytes(rows: list[dict], headers: dict = KO, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table_rows(rows, headers))
    return buffer.getvalue().encode(encoding)


def preview_of(rows: list[dict], headers: dict = KO, **options):
    return prepare(read_table(csv_bytes(rows, headers), "services.csv"), **options)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def plan_b(db) -> Plan:
    seoul = Municipality.objects.get(code="11000")
    return Plan.objects.create(municipality=seoul, title="서울 스마트도시계획")


# --- a clean import ------------------------------------------------------------------------


def test_a_clean_csv_creates_unpublished_drafts(plan):
    rows = [
        row(),
        row(
            name="공영주차장 안내",
            category="transport",
            subcategory="주차공간 제공",
            status="운영",
            tags="",
            source_page="",
            source_url="https://www.goyang.go.kr/plan.pdf",
        ),
    ]
    preview = preview_of(rows)
    assert preview.error_lines() == []
    assert preview.counts == {"create": 2, "update": 0, "unchanged": 0, "error": 0}
    assert Service.objects.count() == 0  # prepare writes nothing

    result = apply(preview)

    assert result.counts == {"create": 2, "update": 0, "unchanged": 0, "plans": 0, "published": 0}
    lamp = Service.objects.get(name="스마트 가로등")
    assert lamp.plan == plan
    assert not lamp.is_published
    assert lamp.category_basis == Service.CategoryBasis.EDITOR
    assert lamp.category.code == "safety-disaster"
    assert lamp.status == Service.Status.PLANNED
    assert lamp.source_page == "145"
    assert sorted(lamp.tags.values_list("slug", flat=True)) == ["iot", "led"]
    assert lamp.search_name  # saved through the model: search columns are filled
    parking = Service.objects.get(name="공영주차장 안내")
    assert parking.subcategory.code == "transport-parking"
    assert parking.status == Service.Status.OPERATING
    assert parking.source_url == "https://www.goyang.go.kr/plan.pdf"
    assert not parking.is_published


def test_a_clean_xlsx_creates_drafts_and_reads_numbers_as_text(plan):
    header = [KO[key] for key in row()]
    values = list(row().values())
    values[0] = 41280  # a code typed as a number
    values[-1] = 145.0  # a page typed as a number
    data = workbook_bytes(
        [header, values, [None] * len(header), list(row(name="드론 순찰").values())]
    )

    table = read_table(data, "services.xlsx")
    assert [r.number for r in table.rows] == [2, 4]  # the empty row is skipped, not renumbered
    preview = prepare(table)
    assert preview.error_lines() == []
    apply(preview)

    lamp = Service.objects.get(name="스마트 가로등")
    assert lamp.source_page == "145"
    assert lamp.plan == plan
    assert not lamp.is_published
    assert Service.objects.filter(name="드론 순찰", plan=plan).exists()


def test_the_preview_shows_what_each_row_will_do(plan, make_service):
    make_service("스마트 가로등", description="옛 설명", source_page="145")
    preview = preview_of([row(description="새 설명"), row(name="드론 순찰")])
    update, create = preview.rows
    assert (update.number, update.action, update.matched_by) == (2, "update", "name")
    changes = {change.field: (change.label, change.old, change.new) for change in update.changes}
    assert changes["description"] == ("설명", "옛 설명", "새 설명")
    assert changes["tags"] == ("태그", "", "IoT; LED")
    assert "category" not in changes  # same field, written differently
    assert create.action == "create"
    assert {change.field for change in create.changes} >= {"name", "category", "status"}
    assert str(create.changes[0]) == "서비스명: — → 드론 순찰"


# --- nothing is written when any row is bad ------------------------------------------------

LONG_NAME = "가" * 201

BAD_ROWS = [
    (
        {"municipality_code": "99999"},
        "3행 '자치단체코드': 알 수 없는 자치단체 코드 '99999'입니다.",
    ),
    (
        {"plan_title": "없는 계획"},
        "3행 '계획명': 경기도 고양시(41280)에 계획명이 '없는 계획'인 계획이 없습니다.",
    ),
    ({"category": "우주"}, "3행 '분야': 알 수 없는 분야 '우주'입니다."),
    (
        {"category": "교통", "subcategory": "하늘길"},
        "3행 '세부분야': 알 수 없는 세부 분야 '하늘길'입니다.",
    ),
    (
        {"category": "행정", "subcategory": "주차공간 제공"},
        "3행 '세부분야': 세부 분야 '주차공간 제공': '교통' 분야의 세부 분야라서 '행정' 분야 "
        "서비스에 쓸 수 없습니다.",
    ),
    ({"status": "보류"}, "3행 '상태': 알 수 없는 상태 '보류'입니다. 계획, 구축, 운영, 중단 중"),
    ({"tags": "IoT; 양자컴퓨터"}, "3행 '태그': 알 수 없는 태그입니다: '양자컴퓨터'."),
    ({"name": ""}, "3행 '서비스명': 서비스명이 비어 있습니다."),
    (
        {"source_page": "", "source_url": "", "source_note": ""},
        "3행 '출처 URL': 출처 URL, 문서 쪽, 출처 메모 중 하나는 적어야 합니다.",
    ),
    ({"name": LONG_NAME}, "3행 '서비스명': 200자까지 쓸 수 있는데 201자입니다."),
    ({"source_page": "1" * 21}, "3행 '문서 쪽': 20자까지 쓸 수 있는데 21자입니다."),
    (
        {"source_url": "https://-bad-.kr/a"},
        "3행 '출처 URL': 올바른 URL이 아닙니다: 'https://-bad-.kr/a'.",
    ),
    ({"id": "999999"}, "3행 'id': 번호 999999인 서비스가 없습니다."),
    ({"id": "abc"}, "3행 'id': 번호는 자연수여야 합니다('abc')."),
]


BAD_ROW_IDS = [
    "unknown-municipality",
    "unknown-plan",
    "unknown-category",
    "unknown-subcategory",
    "subcategory-of-another-category",
    "unknown-status",
    "unknown-tag",
    "empty-name",
    "no-source",
    "name-too-long",
    "page-too-long",
    "malformed-url",
    "unknown-id",
    "malformed-id",
]


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS, ids=BAD_ROW_IDS)
def test_a_bad_row_is_reported_and_nothing_is_written(plan, bad, message):
    rows = [
        row(name="멀쩡한 서비스"),
        row(**{"name": "문제 서비스", **bad}),
        row(name="또 멀쩡한 서비스"),
    ]
    preview = preview_of(rows)
    assert preview.has_errors
    assert any(line.startswith(message) for line in preview.error_lines()), preview.error_lines()
    assert preview.counts["error"] == 1
    assert preview.counts["create"] == 2
    with pytest.raises(ImportRefused) as refused:
        apply(preview)
    assert any(line.startswith(message) for line in refused.value.lines)
    assert Service.objects.count() == 0


def test_a_duplicate_row_names_both_rows(plan):
    preview = preview_of([row(), row(name="드론 순찰"), row(description="다른 설명")])
    assert preview.error_lines() == [
        "4행 '서비스명': 2행과 4행에 같은 계획의 같은 서비스명이 두 번 나옵니다"
        "('스마트 가로등'). 한 행만 남기세요."
    ]
    with pytest.raises(ImportRefused):
        apply(preview)
    assert Service.objects.count() == 0


def test_an_id_of_another_plan_is_an_error(plan, plan_b, make_service):
    other = make_service("서울 서비스", plan=plan_b)
    preview = preview_of([row(), row(id=str(other.pk), name="서울 서비스")])
    assert preview.error_lines() == [
        f"3행 'id': 번호 {other.pk}인 서비스는 다른 계획('서울 스마트도시계획', 11000)의 "
        "서비스입니다."
    ]
    with pytest.raises(ImportRefused):
        apply(preview)
    assert Service.objects.filter(plan=plan).count() == 0


def test_every_error_of_every_row_is_listed(plan):
    preview = preview_of(
        [
            row(municipality_code="99999", category="우주"),
            row(name="", status="보류", tags="없는태그"),
        ]
    )
    lines = preview.error_lines()
    assert lines[0].startswith("2행 '자치단체코드'")
    assert any(line.startswith("2행 '분야'") for line in lines)
    assert any(line.startswith("3행 '서비스명'") for line in lines)
    assert any(line.startswith("3행 '상태'") for line in lines)
    assert any(line.startswith("3행 '태그'") for line in lines)
    assert preview.counts["error"] == 2


def test_errors_quote_the_header_as_written_in_the_file(plan):
    headers = {**KO, "municipality_code": "municipality_code", "category": "Category"}
    preview = preview_of([row(municipality_code="99999", category="우주")], headers)
    assert preview.error_lines()[0].startswith("2행 'municipality_code': 알 수 없는 자치단체")
    assert preview.error_lines()[1].startswith("2행 'Category': 알 수 없는 분야")


def test_a_missing_required_column_is_an_error_of_the_file(plan):
    headers = {key: header for key, header in KO.items() if key != "name"}
    preview = preview_of([row()], headers)
    assert preview.error_lines() == ["필수 열이 없습니다: '서비스명'."]
    with pytest.raises(ImportRefused):
        apply(preview)


def test_unknown_columns_are_a_warning_not_an_error(plan):
    data = csv_bytes([{**row(), "memo": "x"}], {**KO, "memo": "담당자"})
    preview = prepare(read_table(data, "services.csv"))
    assert preview.warning_lines() == ["알 수 없는 열은 무시합니다: '담당자'."]
    assert not preview.has_errors
    apply(preview)
    assert Service.objects.count() == 1


def test_the_model_backs_the_checks_up(plan, monkeypatch):
    """A rule the row checks do not know about is still caught by full_clean."""

    def refuse(service):
        raise ValidationError({"description": "모델이 거부한 설명", NON_FIELD_ERRORS: "전체 오류"})

    monkeypatch.setattr(Service, "clean", refuse)
    preview = preview_of([row()])
    assert preview.error_lines() == ["2행 '설명': 모델이 거부한 설명", "2행: 전체 오류"]
    with pytest.raises(ImportRefused):
        apply(preview)
    assert Service.objects.count() == 0


def test_two_rows_for_the_same_service_are_an_error(plan, make_service):
    service = make_service("스마트 가로등")
    preview = preview_of([row(id=str(service.pk), name="새 이름"), row()])
    assert preview.error_lines() == [
        f"3행 '서비스명': 2행과 3행이 같은 서비스(번호 {service.pk})를 가리킵니다. "
        "한 행만 남기세요."
    ]


def test_a_row_with_values_only_in_unknown_columns_is_skipped(plan):
    data = csv_bytes([row(), {"memo": "메모만 있는 행"}], {**KO, "memo": "담당자"})
    preview = prepare(read_table(data, "services.csv"))
    assert not preview.has_errors
    assert "3행: 가져오는 열이 모두 비어 있어 건너뜁니다." in preview.warning_lines()
    assert preview.counts["create"] == 1


def test_a_file_without_rows_is_an_error(plan):
    preview = prepare(read_table(csv_bytes([]), "services.csv"))
    assert preview.error_lines() == [
        "가져올 행이 없습니다. 머리글 아래에 서비스를 한 행에 하나씩 적으세요."
    ]


def test_a_name_differing_only_in_spacing_is_flagged(plan, make_service):
    make_service("스마트가로등")
    preview = preview_of([row()])
    assert preview.rows[0].action == "create"
    assert "이름이 거의 같은 서비스가 있습니다: '스마트가로등'" in preview.warning_lines()[0]


def test_apply_writes_nothing_when_the_database_changed_since_the_preview(plan, make_service):
    preview = preview_of([row(name="먼저"), row(name="나중")])
    make_service("나중")  # someone else adds it between the preview and the confirmation
    with pytest.raises(ImportRefused) as refused:
        apply(preview)
    assert refused.value.lines[0] == "3행 '서비스명': 이 계획에 같은 이름의 서비스가 이미 있습니다."
    assert not Service.objects.filter(name="먼저").exists()


def test_apply_records_who_imported_in_the_history(plan, django_user_model):
    if not hasattr(Service, "history"):
        pytest.skip("the change history is not installed")
    editor = django_user_model.objects.create_user("editor")
    (service,) = apply(preview_of([row()]), user=editor).created
    record = service.history.latest("history_date")
    assert record.history_user == editor
    assert record.history_change_reason == "가져오기: services.csv"


# --- files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp949", "euc-kr"])
def test_each_encoding_korean_excel_writes(plan, encoding):
    data = csv_bytes([row(category="보건·의료·복지".replace("·", "/"))], encoding=encoding)
    table = read_table(data, "services.csv")
    assert table.headers[0] == "id"  # no BOM left on the first header
    preview = prepare(table)
    assert preview.error_lines() == []
    apply(preview)
    service = Service.objects.get()
    assert service.name == "스마트 가로등"
    assert service.category.code == "health-welfare"


def test_an_undecodable_csv_is_refused_clearly():
    data = "서비스명\n".encode() + b"\xff\xfe\xfa\xfb\x81\x00"
    with pytest.raises(ImportFileError, match="인코딩"):
        read_table(b"\x80\xff" + data, "services.csv")


@pytest.mark.parametrize("filename", ["services.txt", "services.json", "services"])
def test_other_file_types_are_refused(filename):
    with pytest.raises(ImportFileError, match="지원하지 않는 파일 형식"):
        read_table(b"a,b\n1,2\n", filename)


def test_old_xls_and_broken_xlsx_are_refused():
    with pytest.raises(ImportFileError, match=r"\.xls"):
        read_table(b"whatever", "services.xls")
    with pytest.raises(ImportFileError, match="엑셀 파일을 열 수 없습니다"):
        read_table(b"not a zip", "services.xlsx")
    with pytest.raises(ImportFileError, match="비어"):
        read_table(b"", "services.csv")


def test_english_headers_work_like_korean_ones(plan):
    preview = preview_of([row()], EN)
    assert preview.error_lines() == []
    apply(preview)
    assert Service.objects.get().tags.count() == 2


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("ID", "id"),
        ("번호", "id"),
        ("자치단체코드", "municipality_code"),
        ("Municipality_Code", "municipality_code"),
        ("세부 분야", "subcategory"),
        ("출처", "source_url"),
        ("출처URL", "source_url"),
        ("쪽", "source_page"),
        ("비고", "source_note"),
    ],
)
def test_headers_are_matched_ignoring_case_and_spaces(plan, make_service, header, key):
    service = make_service("스마트 가로등")
    value = {
        "id": str(service.pk),
        "municipality_code": "41280",
        "subcategory": "",
        "source_url": "https://example.kr/a",
        "source_page": "12",
        "source_note": "보도자료",
    }[key]
    headers = {k: v for k, v in KO.items() if k != key}
    headers[key] = header
    preview = preview_of([row(**{key: value})], headers)
    assert preview.error_lines() == []
    assert preview.warning_lines() == []


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("보건·의료·복지", "health-welfare"),
        ("보건ㆍ의료ㆍ복지", "health-welfare"),
        ("보건/의료/복지", "health-welfare"),
        ("보건,의료,복지", "health-welfare"),
        ("보건의료복지", "health-welfare"),
        ("보건 · 의료 · 복지", "health-welfare"),
        ("방범/방재", "safety-disaster"),
        ("방범방재", "safety-disaster"),
        ("시설물관리", "facility-management"),
        ("TRANSPORT", "transport"),
        ("Transport", "transport"),
        ("교통", "transport"),
    ],
)
def test_categories_are_read_whatever_separator_people_type(plan, typed, code):
    preview = preview_of([row(category=typed)])
    assert preview.error_lines() == []
    assert preview.rows[0].values["category"].code == code


def test_status_and_tags_by_code_label_slug_or_name(plan):
    preview = preview_of([row(status="operating", tags="cctv, 디지털 트윈;고령자,qr 코드")])
    assert preview.error_lines() == []
    apply(preview)
    service = Service.objects.get()
    assert service.status == Service.Status.OPERATING
    assert sorted(service.tags.values_list("slug", flat=True)) == sorted(
        ["cctv", "디지털트윈", "고령자", "qr"]
    )


def test_a_given_plan_needs_no_plan_columns(plan):
    headers = {k: v for k, v in KO.items() if k not in ("municipality_code", "plan_title")}
    preview = preview_of([row()], headers, plan=plan)
    assert preview.error_lines() == []
    apply(preview)
    assert Service.objects.get().plan == plan


def test_a_row_naming_another_plan_than_the_given_one_is_an_error(plan, plan_b):
    preview = preview_of([row(municipality_code="11000")], plan=plan)
    assert preview.error_lines()[0].startswith("2행 '자치단체코드': 이 파일은")
    with pytest.raises(ImportRefused):
        apply(preview)


# --- updates and idempotence ---------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(plan):
    data = csv_bytes([row(), row(name="드론 순찰", tags="드론")])
    apply(prepare(read_table(data, "services.csv")))
    stamps = dict(Service.objects.values_list("name", "updated_at"))

    preview = prepare(read_table(data, "services.csv"))
    assert preview.counts == {"create": 0, "update": 0, "unchanged": 2, "error": 0}
    with CaptureQueriesContext(connection) as queries:
        result = apply(preview)
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert result.counts == {"create": 0, "update": 0, "unchanged": 2, "plans": 0, "published": 0}
    assert dict(Service.objects.values_list("name", "updated_at")) == stamps


def test_a_changed_description_matched_by_name_updates_it(plan, make_service):
    service = make_service("스마트 가로등", description="옛 설명", source_page="145")
    before = service.updated_at
    preview = preview_of([row(description="새 설명", tags="")])
    assert preview.rows[0].action == "update"
    assert preview.rows[0].matched_by == "name"
    result = apply(preview)
    assert [s.pk for s in result.updated] == [service.pk]
    service.refresh_from_db()
    assert service.description == "새 설명"
    assert service.is_published  # updates never change publication
    assert service.updated_at > before
    assert service.search_text == search.document_fields(service.name, "새 설명")["search_text"]


def test_a_changed_description_and_name_matched_by_id_updates_it(plan, make_service):
    service = make_service("스마트 가로등", description="옛 설명", source_page="145")
    preview = preview_of([row(id=str(service.pk), name="스마트 가로등 2.0", description="새 설명")])
    assert preview.error_lines() == []
    assert preview.rows[0].matched_by == "id"
    apply(preview)
    service.refresh_from_db()
    assert (service.name, service.description) == ("스마트 가로등 2.0", "새 설명")
    assert Service.objects.count() == 1
    assert service.is_published


def test_renaming_onto_another_service_is_an_error(plan, make_service):
    first = make_service("스마트 가로등")
    make_service("드론 순찰")
    preview = preview_of([row(id=str(first.pk), name="드론 순찰")])
    assert "이미 있습니다" in preview.error_lines()[0]


def test_columns_left_out_of_the_file_are_left_alone(plan, make_service):
    service = make_service(
        "스마트 가로등", status="operating", source_note="보도자료", source_page="145"
    )
    service.tags.set(Tag.objects.filter(slug="cctv"))
    headers = {"name": "서비스명", "category": "분야", "description": "설명"}
    preview = preview_of(
        [{"name": "스마트 가로등", "category": "방범방재", "description": "새"}], headers, plan=plan
    )
    assert preview.error_lines() == []
    apply(preview)
    service.refresh_from_db()
    assert service.status == "operating"
    assert service.source_note == "보도자료"
    assert list(service.tags.values_list("slug", flat=True)) == ["cctv"]
    assert service.description == "새"


def test_an_unpublished_service_stays_unpublished(plan, make_service):
    service = make_service("스마트 가로등", is_published=False, source_page="145")
    apply(preview_of([row(description="새 설명")]))
    service.refresh_from_db()
    assert not service.is_published


def test_a_preview_applies_once(plan):
    preview = preview_of([row()])
    apply(preview)
    with pytest.raises(ImportRefused):
        apply(preview)
    assert Service.objects.count() == 1


# --- export, round trip, template ----------------------------------------------------------


@pytest.fixture
def plan_services(plan, make_service):
    transport = Category.objects.get(code="transport")
    parking = SubCategory.objects.get(code="transport-parking")
    services = [
        make_service("스마트 가로등", description="LED\n두 줄", source_page="145–147"),
        make_service(
            "공영주차장 안내",
            category=transport,
            subcategory=parking,
            status="operating",
            source_url="https://www.goyang.go.kr/a?b=1",
            source_page="",
            source_note='=HYPERLINK("x")',
        ),
        make_service(
            "+위험한 이름", description="-1+2", source_page="@SUM(A1)", is_published=False
        ),
    ]
    services[0].tags.set(Tag.objects.filter(slug__in=["iot", "led", "고령자"]))
    return services


def test_export_rows_use_the_import_layout(plan_services):
    rows = list(export_rows(Service.objects.filter(pk=plan_services[1].pk)))
    assert list(rows[0]) == list(TEMPLATE)
    assert rows[0]["분야"] == "교통"
    assert rows[0]["세부분야"] == "주차공간 제공"
    assert rows[0]["상태"] == "운영"
    assert rows[0]["자치단체코드"] == "41280"
    lamp = next(export_rows(Service.objects.filter(pk=plan_services[0].pk)))
    assert lamp["태그"] == "; ".join(plan_services[0].tags.values_list("name", flat=True))


@pytest.mark.parametrize(("file_format", "suffix"), [("csv", "csv"), ("xlsx", "xlsx")])
def test_a_plan_exported_and_imported_again_is_unchanged(plan, plan_services, file_format, suffix):
    response = plan_export_response(plan, file_format)
    assert f"services-41280-plan{plan.pk}-" in response["Content-Disposition"]
    data = body(response)
    if file_format == "csv":
        assert data.startswith("\ufeff".encode())
    stamps = dict(Service.objects.values_list("pk", "updated_at"))

    preview = prepare(read_table(data, f"export.{suffix}"))
    assert preview.error_lines() == []
    assert preview.counts == {"create": 0, "update": 0, "unchanged": 3, "error": 0}
    assert {row.matched_by for row in preview.rows} == {"id"}
    apply(preview)
    assert dict(Service.objects.values_list("pk", "updated_at")) == stamps


def test_an_edited_export_updates_only_what_changed(plan, plan_services):
    data = body(plan_export_response(plan, "xlsx"))
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    description = TEMPLATE.index("설명") + 1
    for cells in sheet.iter_rows(min_row=2):
        if cells[TEMPLATE.index("서비스명")].value == "스마트 가로등":
            cells[description - 1].value = "고친 설명"
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = prepare(read_table(buffer.getvalue(), "edited.xlsx"))
    assert preview.counts == {"create": 0, "update": 1, "unchanged": 2, "error": 0}
    (update,) = preview.rows_to("update")
    assert [(c.field, c.old, c.new) for c in update.changes] == [
        ("description", "LED\n두 줄", "고친 설명")
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_template_imports_after_filling_one_row(plan, file_format):
    assert template_rows() == []
    data = body(template_response(file_format))
    filled = {**row(), "id": ""}
    if file_format == "csv":
        text = data.decode("utf-8-sig")
        assert text.strip() == ",".join(TEMPLATE)
        line = io.StringIO()
        csv.writer(line).writerow([filled.get(key, "") for key in KO])
        data = (text + line.getvalue()).encode("utf-8-sig")
    else:
        workbook = load_workbook(io.BytesIO(data))
        assert [c.value for c in workbook.active[1]] == list(TEMPLATE)
        workbook.active.append([filled.get(key, "") or None for key in KO])
        buffer = io.BytesIO()
        workbook.save(buffer)
        data = buffer.getvalue()
    preview = prepare(read_table(data, f"template.{file_format}"))
    assert preview.error_lines() == []
    apply(preview)
    assert Service.objects.get().name == "스마트 가로등"


# --- confinement to municipalities ---------------------------------------------------------


def test_a_row_of_a_municipality_not_allowed_is_an_error(plan, plan_b, goyang):
    rows = [
        row(),
        row(municipality_code="11000", plan_title="서울 스마트도시계획", name="서울 서비스"),
    ]
    preview = preview_of(rows, allowed_municipalities=[goyang])
    assert preview.error_lines() == [
        "3행 '자치단체코드': 권한이 없는 자치단체입니다: 서울특별시(11000)."
    ]
    with pytest.raises(ImportRefused):
        apply(preview)
    assert Service.objects.count() == 0
    allowed = Municipality.objects.filter(code__in=["41280", "11000"])
    assert not preview_of(rows, allowed_municipalities=allowed).has_errors


def test_an_id_of_a_municipality_not_allowed_is_an_error(plan, plan_b, make_service):
    other = make_service("서울 서비스", plan=plan_b)
    preview = preview_of(
        [row(id=str(other.pk), name="서울 서비스")], allowed_municipalities=["41280"]
    )
    assert preview.error_lines() == [
        f"2행 'id': 권한이 없는 자치단체의 서비스입니다(번호 {other.pk})."
    ]


def test_a_given_plan_of_a_municipality_not_allowed_is_refused(plan_b):
    preview = preview_of([row()], plan=plan_b, allowed_municipalities=["41280"])
    assert preview.error_lines() == ["권한이 없는 자치단체의 계획입니다: 서울특별시(11000)."]


# --- the command ---------------------------------------------------------------------------


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_services", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_and_reports(plan, tmp_path):
    path = tmp_path / "services.csv"
    path.write_bytes(csv_bytes([row(), row(name="드론 순찰")], encoding="cp949"))
    out, _ = run(str(path))
    assert "새로 만듦 / created: 2" in out
    assert "cp949" in out
    assert Service.objects.filter(is_published=False).count() == 2
    out, _ = run(str(path))
    assert "그대로 / unchanged: 2" in out
    assert "nothing changed" in out


def test_the_command_dry_run_writes_nothing(plan, tmp_path):
    path = tmp_path / "services.xlsx"
    path.write_bytes(workbook_bytes(table_rows([row()], KO)))
    out, _ = run(str(path), "--dry-run")
    assert "새로 만듦 / to create: 1" in out
    assert "Dry run: nothing was written." in out
    assert Service.objects.count() == 0


def test_the_command_lists_every_error_and_writes_nothing(plan, tmp_path):
    path = tmp_path / "services.csv"
    path.write_bytes(csv_bytes([row(), row(name="x", municipality_code="99999"), row(name="")]))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_services", str(path), stdout=out, stderr=err)
    assert "3행 '자치단체코드': 알 수 없는 자치단체 코드 '99999'입니다." in err.getvalue()
    assert "4행 '서비스명': 서비스명이 비어 있습니다." in err.getvalue()
    assert "오류 행 / rows with errors: 2" in out.getvalue()
    assert Service.objects.count() == 0


@pytest.mark.parametrize("plan_arg", ["{pk}", "41280:고양시 스마트도시계획"])
def test_the_command_takes_a_plan_by_id_or_code_and_title(plan, tmp_path, plan_arg):
    headers = {k: v for k, v in KO.items() if k not in ("municipality_code", "plan_title")}
    path = tmp_path / "services.csv"
    path.write_bytes(csv_bytes([row()], headers))
    out, _ = run(str(path), "--plan", plan_arg.format(pk=plan.pk))
    assert "created: 1" in out
    assert Service.objects.get().plan == plan


@pytest.mark.parametrize("plan_arg", ["41280:없는 계획", "999999", "고양시"])
def test_the_command_refuses_an_unknown_plan(plan, tmp_path, plan_arg):
    path = tmp_path / "services.csv"
    path.write_bytes(csv_bytes([row()]))
    with pytest.raises(CommandError):
        run(str(path), "--plan", plan_arg)


def test_the_command_refuses_an_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run(str(tmp_path / "missing.csv"))
    path = tmp_path / "services.txt"
    path.write_text("서비스명\n")
    with pytest.raises(CommandError, match="지원하지 않는 파일 형식"):
        run(str(path))


def test_the_command_exits_non_zero_on_error(tmp_path):
    """Through manage.py: a CommandError is exit status 1 (fails before touching the database)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "import_services", str(tmp_path / "missing.csv")],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "cannot read" in result.stderr
