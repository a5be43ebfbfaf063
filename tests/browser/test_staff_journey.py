"""A city's editor and reviewer signs in, imports the template spreadsheet into a plan,
publishes the new services and finds them on the public site."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect

from catalog.models import Category, EditorAssignment, Plan

pytestmark = pytest.mark.browser

USERNAME = "suwon-staff"
PASSWORD = "parking-lot-7431-river"
PLAN_TITLE = "수원시 스마트도시계획"
ROLES = ("편집자", "검토자")
IMPORTED = ("스마트 버스정류장", "공영주차장 빈자리 안내", "어린이 보호구역 알리미")


@pytest.fixture
def suwon_plan(add_plan):
    """수원시's plan, beside another city's so that the staff member has to pick it."""
    add_plan("41280", "고양시 스마트도시계획")
    return add_plan("41110", PLAN_TITLE)


@pytest.fixture
def suwon_staff(suwon_plan):
    """A staff member who edits and reviews 수원시's plans."""
    user = User.objects.create_user(USERNAME, password=PASSWORD, is_staff=True)
    user.groups.add(*(Group.objects.get(name=role) for role in ROLES))
    EditorAssignment.objects.create(user=user, municipality=suwon_plan.municipality)
    return user


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/admin/")
    page.get_by_label("사용자 이름").fill(username)
    page.get_by_label("비밀번호").fill(password)
    page.get_by_role("button", name="로그인").click()


def open_plan(page: Page, title: str) -> None:
    page.get_by_role("link", name="계획", exact=True).click()
    page.get_by_role("link", name=title).click()


def download_template(page: Page, folder: Path) -> Path:
    """The import page's empty XLSX template (the first XLSX link, under 양식)."""
    with page.expect_download() as download_info:
        page.get_by_role("link", name="XLSX").first.click()
    download = download_info.value
    assert download.suggested_filename.startswith("service-import-template")
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def fill_template(template: Path, plan: Plan, names, folder: Path) -> Path:
    """The template's header with one row per service name, for the plan's municipality."""
    header = [cell.value for cell in next(load_workbook(template).active.iter_rows())]
    filled = Workbook()
    filled.active.append(header)
    for page_number, name in enumerate(names, start=10):
        row = dict.fromkeys(header, "")
        row.update(
            {
                "자치단체코드": plan.municipality.code,
                "계획명": plan.title,
                "서비스명": name,
                "분야": "교통",
                "상태": "계획",
                "문서 쪽": str(page_number),
            }
        )
        filled.active.append([row[column] for column in header])
    path = folder / "수원시-서비스.xlsx"
    filled.save(path)
    return path


def publish(page: Page, names) -> None:
    """Tick the services in the admin's service list and run the publish action on them."""
    for name in names:
        page.get_by_role("checkbox", name=re.compile(rf" - {re.escape(name)}$")).check()
    page.get_by_label("액션").select_option(label="선택한 서비스 공개")
    page.get_by_role("button", name="실행").click()


def test_staff_import_the_template_into_their_plan_publish_and_the_public_sees_the_services(
    page: Page, suwon_plan, suwon_staff, refused_by_policy, tmp_path
):
    sign_in(page, USERNAME, PASSWORD)
    expect(page.get_by_role("banner")).to_contain_text(USERNAME)

    open_plan(page, PLAN_TITLE)
    page.get_by_role("link", name="서비스 가져오기").click()
    filled = fill_template(download_template(page, tmp_path), suwon_plan, IMPORTED, tmp_path)
    page.get_by_label("파일").set_input_files(filled)
    page.get_by_role("button", name="미리 보기").click()

    for name in IMPORTED:
        expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("새로 만듦")
    page.get_by_role("button", name="확인하고 저장").click()
    expect(page.get_by_text("새 서비스 3개")).to_be_visible()

    sidebar = page.get_by_role("navigation", name="사이드바")
    sidebar.get_by_role("link", name="서비스", exact=True).click()
    publish(page, IMPORTED)
    expect(page.get_by_text("서비스 3개를 공개했습니다.")).to_be_visible()

    page.get_by_role("banner").get_by_role("link", name="사이트 보기").click()
    page.get_by_role("banner").get_by_role("link", name="서비스", exact=True).click()
    expect(page.get_by_role("heading", name="서비스 3개")).to_be_visible()
    for name in IMPORTED:
        expect(page.get_by_role("link", name=name)).to_be_visible()
    assert refused_by_policy == []


def test_staff_typing_a_service_name_see_the_suggested_field_and_take_it(
    page: Page, suwon_plan, suwon_staff, refused_by_policy
):
    sign_in(page, USERNAME, PASSWORD)
    page.goto("/admin/catalog/service/add/")
    page.get_by_label("서비스명").fill("스마트 버스정류장")
    hint = page.locator(".category-hint")
    expect(hint).to_contain_text("분야 제안: 교통")
    hint.get_by_role("button", name="이 분야로").click()
    transport = Category.objects.get(code="transport")
    expect(page.locator("#id_category")).to_have_value(str(transport.pk))
    assert refused_by_policy == []


def test_a_researchers_file_is_found_from_the_plan_list_and_loaded_with_new_plans(
    page: Page, suwon_plan, suwon_staff, refused_by_policy, tmp_path
):
    sign_in(page, USERNAME, PASSWORD)
    page.get_by_role("link", name="계획", exact=True).click()
    page.get_by_role("link", name="서비스 가져오기(여러 자치단체·계획)").click()
    research = tmp_path / "research.csv"
    research.write_text(
        "시·도,자치단체,계획명,계획연도,서비스명,출처\n"
        "경기,수원시,수원 스마트시티 챌린지,2023,스마트 횡단보도,https://a.kr (신문)\n",
        encoding="utf-8-sig",
    )
    page.get_by_label("파일").set_input_files(research)
    page.get_by_label("새 계획 만들기").check()
    page.get_by_role("button", name="미리 보기").click()
    expect(page.locator("table.import-plans")).to_contain_text("수원 스마트시티 챌린지")
    expect(page.get_by_text("분야 제안: 교통")).to_be_visible()
    page.get_by_role("button", name="확인하고 저장").click()
    expect(page.get_by_text("새 계획 1개, 새 서비스 1개")).to_be_visible()
    assert Plan.objects.filter(title="수원 스마트시티 챌린지", kind="challenge").exists()
    assert refused_by_policy == []
