"""A researcher's file: many cities and plans by name, new plans, no 분야, mixed 출처 cells."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from analysis.models import ClusterMember
from catalog.importing import apply, prepare, read_table
from catalog.models import Municipality, Plan, Service

pytestmark = pytest.mark.django_db

RESEARCHER_FILE = Path(__file__).parent / "data" / "researcher_plans.csv"
HEADER = "시·도,자치단체,계획명,계획연도,서비스명,설명,출처\n"


def preview_of(text: str, **options):
    return prepare(read_table(("\ufeff" + text).encode(), "research.csv"), **options)


def test_the_researcher_file_loads_in_one_go_with_new_plans_published(tmp_path):
    call_command("import_services", str(RESEARCHER_FILE), "--create-plans", "--publish")
    services = Service.objects.select_related("plan__municipality")
    assert services.count() == 33
    assert Plan.objects.count() == 13
    assert services.filter(is_published=True, published_at__isnull=False).count() == 33
    assert set(services.values_list("category_basis", flat=True)) == {"suggested"}
    sokcho = Plan.objects.get(title="속초시 스마트도시계획")
    assert sokcho.municipality.code == "51210"  # written as 강원도 속초시
    assert (sokcho.kind, sokcho.start_year) == ("master_plan", 2022)


def test_its_services_join_the_demo_datas_idea_clusters(demo_data):
    call_command("import_services", str(RESEARCHER_FILE), "--create-plans", "--publish")
    call_command("find_duplicates", verbosity=0)
    imported = ClusterMember.objects.filter(service__plan__title="속초시 스마트도시계획")
    crossing = ClusterMember.objects.filter(
        cluster__in=imported.values("cluster"), service__plan__municipality__code="27290"
    )
    # 속초's 스마트 횡단보도 and 스마트 버스정류장 meet 달서구's demo services of the same ideas.
    assert set(crossing.values_list("service__name", flat=True)) >= {
        "스마트횡단보도",
        "스마트버스정류장",
    }


def test_without_create_plans_a_missing_plan_is_an_error_and_nothing_is_written():
    with pytest.raises(CommandError):
        call_command("import_services", str(RESEARCHER_FILE))
    assert not Service.objects.exists()
    assert not Plan.objects.exists()


def test_the_preview_lists_new_plans_and_marks_suggested_fields_with_a_runner_up():
    preview = preview_of(
        HEADER + "경기,고양시,새 계획,2024,스마트 횡단보도,,https://a.kr\n", create_plans=True
    )
    assert [new.plan.title for new in preview.new_plans] == ["새 계획"]
    (row,) = preview.rows
    assert row.suggestion.category.code == "transport"
    assert 0 < row.suggestion.confidence <= 1
    assert row.suggestion.alternative is not None
    assert row.suggestion.alternative != row.suggestion.category
    assert row.values["category_basis"] == "suggested"


def test_rows_of_one_new_plan_must_agree_on_its_years():
    preview = preview_of(
        HEADER
        + "경기,고양시,새 계획,2024,가로등,,https://a.kr\n"
        + "경기,고양시,새 계획,2025,버스정류장,,https://a.kr\n",
        create_plans=True,
    )
    assert preview.error_lines() == [
        "3행 '계획연도': 같은 계획('새 계획')인데 2행에는 '2024', 이 행에는 '2025'라고 적혀 "
        "있습니다."
    ]


def test_plan_columns_give_the_new_plans_kind_years_and_document():
    text = (
        "자치단체코드,계획명,계획종류,시작연도,종료연도,계획 출처,서비스명,분야,출처\n"
        "41280,고양 챌린지,챌린지,2021,2023,https://a.kr/plan.pdf (국토부),주차공유,교통,x\n"
        "41280,고양 확산,solution,,,,스마트 폴,기타,x\n"
    )
    preview = preview_of(text, create_plans=True)
    assert not preview.has_errors, preview.error_lines()
    apply(preview)
    challenge = Plan.objects.get(title="고양 챌린지")
    assert (challenge.kind, challenge.start_year, challenge.end_year) == ("challenge", 2021, 2023)
    assert challenge.document_url == "https://a.kr/plan.pdf"
    assert challenge.note == "https://a.kr/plan.pdf (국토부)"
    assert Plan.objects.get(title="고양 확산").kind == "solution"


def test_an_unknown_plan_kind_lists_the_kinds():
    text = "자치단체코드,계획명,계획종류,서비스명,분야,출처\n41280,새,모름,가로등,교통,x\n"
    (line,) = preview_of(text, create_plans=True).error_lines()
    assert line.startswith("2행 '계획종류': 알 수 없는 계획 종류 '모름'입니다. 스마트도시계획(")


def test_an_existing_plan_is_used_and_never_changed(plan):
    text = HEADER + f"경기,고양시,{plan.title},2030,가로등,,https://a.kr\n"
    preview = preview_of(text, create_plans=True)
    assert not preview.new_plans
    assert "기존 계획" in preview.warning_lines()[0]
    apply(preview)
    plan.refresh_from_db()
    assert plan.start_year == 2024
    assert Service.objects.get().plan == plan


@pytest.mark.parametrize(
    ("cell", "url", "note"),
    [
        ("https://a.kr/1", "https://a.kr/1", ""),
        ("www.a.kr/1", "https://www.a.kr/1", ""),
        (
            "https://a.kr/1 (매일신문 2023-04-13); https://b.kr/2",
            "https://a.kr/1",
            "https://a.kr/1 (매일신문 2023-04-13); https://b.kr/2",
        ),
        ("매일신문 2023-04-13 보도", "", "매일신문 2023-04-13 보도"),
        ("(https://a.kr/x_(y))", "https://a.kr/x_(y)", "(https://a.kr/x_(y))"),
    ],
)
def test_a_source_cell_gives_its_first_url_and_keeps_the_rest_as_a_note(plan, cell, url, note):
    text = f'자치단체코드,계획명,서비스명,분야,출처\n41280,{plan.title},가로등,교통,"{cell}"\n'
    apply(preview_of(text))
    service = Service.objects.get()
    assert (service.source_url, service.source_note) == (url, note)


def test_a_name_shared_by_provinces_lists_every_candidate_with_its_code(plan):
    (line,) = preview_of(
        f"자치단체,계획명,서비스명,분야,출처\n중구,{plan.title},가,교통,x\n"
    ).error_lines()
    assert line.startswith("2행 '자치단체': ")
    for code in ("11140", "26110", "27110", "28110"):
        assert code in line


def test_jeju_si_is_read_as_jeju_province_with_a_warning():
    text = "자치단체,계획명,서비스명,분야,출처\n제주시,제주 계획,가로등,교통,x\n"
    preview = preview_of(text, create_plans=True)
    assert not preview.has_errors
    assert preview.new_plans[0].plan.municipality.code == "50000"
    assert any("행정시" in line for line in preview.warning_lines())


def test_a_former_code_reaches_the_current_municipality():
    text = "자치단체코드,계획명,서비스명,분야,출처\n45110,전주 계획,가로등,교통,x\n"
    preview = preview_of(text, create_plans=True)
    assert preview.new_plans[0].plan.municipality == Municipality.objects.get(code="52110")


def test_a_code_and_a_name_that_disagree_are_an_error():
    text = "자치단체코드,자치단체,계획명,서비스명,분야,출처\n41280,수원시,가,가로등,교통,x\n"
    (line,) = preview_of(text, create_plans=True).error_lines()
    assert line.startswith("2행 '자치단체': 자치단체코드(41280)는 경기도 고양시인데")


def test_each_row_shows_published_lookalikes_of_other_municipalities(plan, make_service):
    make_service("스마트 횡단보도")  # 고양시, published
    other = Plan.objects.create(municipality=Municipality.objects.get(code="41590"), title="화성")
    text = (
        f"자치단체코드,계획명,서비스명,분야,출처\n41590,{other.title},스마트횡단보도 설치,교통,x\n"
    )
    (row,) = preview_of(text).rows
    assert [match.name for match in row.lookalikes] == ["스마트 횡단보도"]
    assert row.lookalikes[0].municipality_code == "41280"


def test_publishing_at_load_records_who_and_when(django_user_model):
    admin = django_user_model.objects.create_superuser("loader", password="pw-1234-long")
    call_command(
        "import_services", str(RESEARCHER_FILE), "--create-plans", "--publish", "--user", "loader"
    )
    service = Service.objects.first()
    assert service.published_by == admin
    assert service.history.first().history_user == admin


def test_publishing_again_publishes_nothing_more():
    call_command("import_services", str(RESEARCHER_FILE), "--create-plans", "--publish")
    stamps = dict(Service.objects.values_list("pk", "published_at"))
    call_command("import_services", str(RESEARCHER_FILE), "--create-plans", "--publish")
    assert dict(Service.objects.values_list("pk", "published_at")) == stamps


def test_publish_publishes_drafts_an_unchanged_row_matched(plan, make_service):
    draft = make_service("가로등", is_published=False, source_url="https://a.kr")
    text = f"자치단체코드,계획명,서비스명,출처\n41280,{plan.title},가로등,https://a.kr\n"
    result = apply(preview_of(text), publish=True)
    draft.refresh_from_db()
    assert draft.is_published
    assert result.published == 1
