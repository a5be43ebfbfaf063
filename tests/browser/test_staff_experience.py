"""Staff journeys at a desktop and a phone width: a plan with three tagged services in one
screen and one save, errors found from the summary without script, the review queue and a
draft's preview, the import found from the admin home, and a cluster member set apart and put
back; axe-core finds no violation on the admin pages staff use."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, User
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from analysis.models import ClusterMember, IdeaCluster
from catalog.models import EditorAssignment, Municipality, Plan, Service, Tag

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
AXE = Axe()
PASSWORD = "parking-lot-7431-river"
PLAN_TITLE = "수원시 스마트도시계획 (2025–2029)"
TAGGED = {
    "스마트 버스정류장": ["IoT", "대중교통 이용자"],
    "공영주차장 빈자리 안내": ["센서"],
    "어린이 보호구역 알리미": ["어린이", "CCTV"],
}


def staff(username: str, role: str, *codes: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    for code in codes:
        EditorAssignment.objects.create(user=user, municipality=Municipality.objects.get(code=code))
    return user


@pytest.fixture
def editor(reference_data) -> User:
    return staff("suwon-editor", "편집자", "41110")


@pytest.fixture
def reviewer(reference_data) -> User:
    return staff("reviewer", "검토자")


def sign_in(page: Page, user: User) -> None:
    page.goto("/admin/")
    page.get_by_label("사용자 이름").fill(user.username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("banner")).to_contain_text(user.username)


def axe_violations(page: Page, refused: list[str]) -> list[str]:
    """axe-core's violations on the page as shown, one line per rule and element.

    To read the admin's form stylesheet, axe copies what it ``@import``s into a ``<style>``
    element, which the page's policy refuses; those refusals are axe's, not the page's, and
    are dropped from ``refused`` (the ``refused_by_policy`` list).
    """
    page.wait_for_load_state("load")
    before = len(refused)
    results = AXE.run(page).response
    page.wait_for_timeout(100)  # the refusals are reported just after
    del refused[before:]
    return [
        f"{page.url} [{violation['id']}] {violation['help']}: {node['target']}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


def fits(page: Page, viewport: dict) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def line(page: Page, number: int):
    return page.locator(f"#services-{number}")


def fill_line(page: Page, number: int, name: str, tags: list[str], source_page: str) -> None:
    row = line(page, number)
    row.get_by_label("서비스명").fill(name)
    row.get_by_label(re.compile(r"^분야")).select_option(label="교통")
    row.locator("summary").filter(has_text="태그").click()
    for tag in tags:
        row.get_by_role("checkbox", name=tag, exact=True).check()
    row.locator("summary").filter(has_text="태그").click()
    row.get_by_label("문서 쪽").fill(source_page)


@VIEWPORTS
def test_an_officer_adds_a_plan_with_three_tagged_services_in_one_screen_and_one_save(
    page: Page, editor, viewport, refused_by_policy
):
    page.set_viewport_size(viewport)
    sign_in(page, editor)
    page.get_by_role("link", name="계획", exact=True).first.click()
    page.get_by_role("link", name="계획 추가").click()
    assert fits(page, viewport)
    # Their one local government is chosen already.
    expect(page.locator(".field-municipality .select2-selection")).to_contain_text("수원시")
    page.get_by_label("계획명").fill(PLAN_TITLE)
    for number, (name, tags) in enumerate(TAGGED.items()):
        fill_line(page, number, name, tags, str(40 + number))
    if viewport is PHONE:  # cards: each field below the one before
        name_box = line(page, 0).get_by_label("서비스명").bounding_box()
        field_box = line(page, 0).get_by_label(re.compile(r"^분야")).bounding_box()
        assert field_box["y"] > name_box["y"] + name_box["height"]
    assert fits(page, viewport)
    page.get_by_role("button", name="저장", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text(PLAN_TITLE)

    plan = Plan.objects.get(title=PLAN_TITLE)
    saved = {s.name: sorted(t.name for t in s.tags.all()) for s in plan.services.all()}
    assert saved == {name: sorted(tags) for name, tags in TAGGED.items()}
    page.get_by_role("link", name=PLAN_TITLE, exact=True).click()
    expect(line(page, 0)).to_contain_text("태그 1개: 센서")  # lines in name order
    assert fits(page, viewport)
    assert axe_violations(page, refused_by_policy) == []
    assert refused_by_policy == []


def test_a_service_opened_from_its_plan_returns_to_the_plan_when_saved(
    page: Page, editor, add_plan, add_service
):
    plan = add_plan("41110", PLAN_TITLE)
    add_service(plan, "스마트 버스정류장", is_published=False)
    sign_in(page, editor)
    page.goto(f"/admin/catalog/plan/{plan.pk}/change/")
    line(page, 0).get_by_role("link", name=re.compile("자세히 고치기")).click()
    expect(page.get_by_text("저장하면 그 계획으로 돌아갑니다")).to_be_visible()
    page.get_by_label("설명").fill("버스 도착 정보를 알려 주는 정류장")
    page.get_by_role("button", name="저장", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/catalog/plan/{plan.pk}/change/"))


def test_errors_are_found_from_the_summary_without_script(
    browser: Browser, live_server, editor, add_plan
):
    """With script off, a line's error is linked from the top and the link brings the line
    into view, marked."""
    add_plan("41110", "다른 계획")
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="ko-KR", viewport=DESKTOP
    )
    page = context.new_page()
    sign_in(page, editor)
    page.goto("/admin/catalog/plan/add/")
    page.get_by_label("자치단체").select_option(label="경기도 수원시")
    page.get_by_label("계획명").fill(PLAN_TITLE)
    page.get_by_label("시작 연도").fill("2025")
    page.get_by_label("종료 연도").fill("2029")
    line(page, 0).get_by_label("서비스명").fill("스마트 버스정류장")
    line(page, 0).get_by_label(re.compile(r"^분야")).select_option(label="교통")
    line(page, 0).get_by_label("문서 쪽").fill("40")
    line(page, 2).get_by_label("서비스명").fill("출처 없는 서비스")
    line(page, 2).get_by_label(re.compile(r"^분야")).select_option(label="교통")
    page.get_by_role("button", name="저장", exact=True).click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert summary.bounding_box()["y"] < DESKTOP["height"]
    bad = line(page, 2)
    expect(bad).to_contain_text("고칠 곳 있음")
    expect(bad).not_to_be_in_viewport()
    summary.get_by_role("link", name=re.compile("출처 없는 서비스")).click()
    expect(page).to_have_url(re.compile("#services-2$"))
    expect(bad).to_be_in_viewport()
    assert bad.evaluate("row => row.matches(':target')")
    assert bad.get_by_text("출처 URL, 문서 쪽, 출처 메모 중 하나는 적어야 합니다.").count() == 1
    assert not Plan.objects.filter(title=PLAN_TITLE).exists()
    context.close()


@pytest.fixture
def drafts(add_plan, add_service) -> list[Service]:
    """Drafts of 수원 (waiting longest) and 고양, and a field awaiting confirmation."""
    suwon = add_plan("41110", PLAN_TITLE)
    goyang = add_plan("41280", "고양시 스마트도시계획")
    waiting = [
        add_service(suwon, "스마트 버스정류장", is_published=False),
        add_service(
            suwon, "공영주차장 빈자리 안내", is_published=False, category_basis="suggested"
        ),
        add_service(goyang, "고양 스마트 가로등", is_published=False),
    ]
    Service.objects.filter(pk=waiting[2].pk).update(
        created_at=waiting[0].created_at.replace(year=2030)
    )
    waiting[0].tags.add(Tag.objects.get(slug="iot"))
    return waiting


@VIEWPORTS
def test_a_reviewer_finds_the_queue_previews_a_draft_and_publishes_it(
    page: Page, reviewer, drafts, viewport, refused_by_policy
):
    page.set_viewport_size(viewport)
    sign_in(page, reviewer)
    queue = page.get_by_role("region", name="검토 대기")
    expect(queue).to_contain_text("초안 3개")
    rows = queue.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("경기도 수원시")  # the longest waiting first
    expect(rows.nth(2)).to_contain_text("경기도 고양시")
    assert fits(page, viewport)
    assert axe_violations(page, refused_by_policy) == []

    queue.get_by_role("link", name="경기도 수원시 초안 2개").click()
    results = page.locator("#result_list tbody tr")
    expect(results).to_have_count(2)
    page.get_by_role("link", name="스마트 버스정류장", exact=True).click()
    page.get_by_role("link", name="사이트에서 보기").click()
    expect(page.locator(".preview-banner")).to_contain_text("공개 전 미리보기")
    expect(page.get_by_role("heading", name="스마트 버스정류장")).to_be_visible()
    assert fits(page, viewport)
    assert axe_violations(page, refused_by_policy) == []

    page.get_by_role("link", name="관리 화면에서 고치거나 공개하기").click()
    page.get_by_label("공개").check()
    page.get_by_role("button", name="저장", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("스마트 버스정류장")
    assert Service.objects.get(name="스마트 버스정류장").is_published
    page.goto(f"/services/{drafts[0].pk}/")
    expect(page.locator(".preview-banner")).to_have_count(0)
    assert refused_by_policy == []


def test_visitors_get_a_404_for_a_draft(page: Page, drafts):
    response = page.goto(f"/services/{drafts[0].pk}/")
    assert response is not None
    assert response.status == 404


@VIEWPORTS
def test_the_import_is_found_from_the_admin_home_and_teaches_itself(
    page: Page, editor, add_plan, viewport, tmp_path, refused_by_policy
):
    add_plan("41110", PLAN_TITLE)
    page.set_viewport_size(viewport)
    sign_in(page, editor)
    entry = page.get_by_role("region", name="가져오기")
    with page.expect_download() as download_info:
        entry.get_by_role("link", name=re.compile("양식 내려받기")).click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    workbook = load_workbook(template)
    assert workbook.sheetnames == ["서비스", "목록", "안내"]
    assert len(workbook["서비스"].data_validations.dataValidation) >= 4

    entry.get_by_role("link", name="서비스 가져오기(여러 자치단체·계획)").click()
    assert fits(page, viewport)
    assert axe_violations(page, refused_by_policy) == []
    research = (
        "자치단체코드,계획명,서비스명,분야,상태,문서 쪽\n41110,{},스마트 가로등,교통수단,계획,3\n"
    )
    bad = tmp_path / "research.csv"
    bad.write_text(research.format(PLAN_TITLE), encoding="utf-8-sig")
    page.get_by_label("파일").set_input_files(bad)
    page.get_by_role("button", name="미리 보기").click()
    badge = page.locator(".import-badge-error")
    expect(badge).to_have_text(re.compile("오류가 있는 행 1"))
    assert badge.evaluate("b => getComputedStyle(b).color") == "rgb(138, 28, 18)"
    expect(page.get_by_text("혹시 '교통'인가요?").first).to_be_visible()
    assert fits(page, viewport)
    assert axe_violations(page, refused_by_policy) == []

    fixed = tmp_path / "fixed.csv"
    fixed.write_text(research.replace("교통수단", "교통").format(PLAN_TITLE), encoding="utf-8-sig")
    page.get_by_label("파일").set_input_files(fixed)
    page.get_by_role("button", name="고친 파일로 다시 미리 보기").click()
    expect(page.locator(".import-badge-create")).to_contain_text("새로 만들 서비스 1")
    page.get_by_role("button", name="확인하고 저장").click()
    expect(page.locator(".messagelist")).to_contain_text("새 서비스 1개")
    assert Service.objects.filter(name="스마트 가로등", category__code="transport").exists()
    assert refused_by_policy == []


@VIEWPORTS
def test_admin_pages_staff_use_have_no_axe_violations(
    page: Page, reviewer, drafts, viewport, refused_by_policy
):
    page.set_viewport_size(viewport)
    sign_in(page, reviewer)
    plan = Plan.objects.get(title=PLAN_TITLE)
    paths = [
        "/admin/catalog/plan/",
        "/admin/catalog/plan/add/",
        f"/admin/catalog/plan/{plan.pk}/change/",
        "/admin/catalog/service/",
        f"/admin/catalog/service/{drafts[0].pk}/change/",
        f"/admin/catalog/service/{drafts[0].pk}/change/?from_plan=1",
        f"/admin/catalog/plan/{plan.pk}/import/",
        "/admin/catalog/service/?category_review=waiting",
    ]
    violations = []
    for path in paths:
        page.goto(path)
        assert fits(page, viewport), path
        violations += axe_violations(page, refused_by_policy)
    assert violations == []
    assert refused_by_policy == []


@VIEWPORTS
def test_a_reviewer_sets_a_member_apart_after_reading_what_it_records_and_undoes_it(
    page: Page, reviewer, add_plan, add_service, viewport, refused_by_policy
):
    services = [
        add_service(add_plan(code, "스마트도시계획"), name)
        for code, name in (("41110", "주차공유"), ("41280", "주차면 감지"), ("48250", "주차 안내"))
    ]
    cluster = IdeaCluster.objects.create(label="주차")
    for service in services:
        ClusterMember.objects.create(cluster=cluster, service=service, origin="staff")
    page.set_viewport_size(viewport)
    sign_in(page, reviewer)
    page.goto(f"/admin/analysis/ideacluster/{cluster.pk}/change/")
    assert axe_violations(page, refused_by_policy) == []
    page.get_by_role("checkbox", name=re.compile(r"^다른 아이디어로 표시\s*: 주차 안내$")).check()
    page.get_by_role("button", name="저장", exact=True).click()

    expect(page.get_by_role("heading", name="다른 아이디어로 표시할까요?")).to_be_visible()
    expect(page.get_by_text("남은 서비스 2개와 ‘다른 아이디어’라는 결정")).to_be_visible()
    assert fits(page, viewport)
    assert axe_violations(page, refused_by_policy) == []
    page.get_by_role("button", name="다른 아이디어로 표시하고 저장").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "다른 아이디어로 표시하고 묶음에서 뺐습니다"
    )
    assert not ClusterMember.objects.filter(service=services[2]).exists()

    page.goto(f"/admin/analysis/ideacluster/{cluster.pk}/change/")
    page.get_by_role("link", name="되돌리기…").click()
    page.get_by_role("button", name="묶음에 되돌리기").click()
    expect(page.locator(".messagelist")).to_contain_text("묶음에 되돌렸습니다")
    assert ClusterMember.objects.get(service=services[2]).cluster == cluster
    assert refused_by_policy == []
