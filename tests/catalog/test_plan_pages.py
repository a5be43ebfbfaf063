"""``/plans/<id>/``: a plan's facts, its published services by field, how many other local
governments plan each service's idea, and the plan's share of original services."""

import datetime
import json
import re

import pytest
from django.urls import reverse

from analysis.runs import find_and_store
from catalog.models import Category, Municipality, Plan, Service

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def category(code: str) -> Category:
    return Category.objects.get(code=code)


@pytest.fixture
def add_elsewhere(db):
    """add_elsewhere("48250", "스마트횡단보도") → a published service of that city's plan."""

    def add(code: str, name: str, **fields) -> Service:
        plan, _ = Plan.objects.get_or_create(
            municipality=Municipality.objects.get(code=code), title="스마트도시계획"
        )
        fields.setdefault("category", category("transport"))
        fields.setdefault("is_published", True)
        return Service.objects.create(plan=plan, name=name, source_page="1", **fields)

    return add


@pytest.fixture
def analysed_plan(plan, make_service, add_elsewhere) -> Plan:
    """고양's plan after a duplication run: a crossing that 김해 (twice) and 대구 동구 plan
    too, a bus stop that 영주 plans too, two services of its own and a draft."""
    transport = category("transport")
    make_service("스마트 횡단보도", category=transport)
    make_service("스마트 버스정류장", category=transport)
    make_service("위해 조류 퇴치시스템", category=category("environment-energy-water"))
    make_service("지능형 CCTV", category=category("safety-disaster"))
    make_service("비공개 주차 초안", category=transport, is_published=False)
    add_elsewhere("48250", "스마트횡단보도")
    add_elsewhere("48250", "스마트 횡단보도 구축")
    add_elsewhere("27140", "스마트횡단보도 설치")
    add_elsewhere("47210", "스마트버스정류장")
    add_elsewhere("48250", "ICT 융복합 시설원예 스마트팜")
    find_and_store()
    return plan


def rows(response) -> list[tuple[str, str, int]]:
    """(field code, service name, other local governments) in the order shown."""
    return [
        (service.category.code, service.name, service.other_municipality_count)
        for service in response.context["services"]
    ]


def json_ld(response) -> dict:
    [block] = JSON_LD.findall(response.content.decode())
    return json.loads(block)


# What the page shows


def test_page_shows_kind_years_approval_document_source_and_note(client, plan):
    plan.kind = Plan.Kind.CHALLENGE
    plan.approved_on = datetime.date(2024, 3, 15)
    plan.document_url = "https://example.org/plan.pdf"
    plan.source_url = "https://example.org/news/7"
    plan.note = "2024년 승인 보도.\n두 번째 줄"
    plan.save()
    response = client.get(plan.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>고양시 스마트도시계획</h1>" in body
    assert "챌린지" in body
    assert "2024–2028" in body
    assert '<time datetime="2024-03-15">2024-03-15</time>' in body
    assert 'href="https://example.org/plan.pdf"' in body
    assert 'href="https://example.org/news/7"' in body
    assert "2024년 승인 보도.<br>두 번째 줄" in body


def test_page_leaves_out_facts_the_plan_does_not_have(client, goyang):
    bare = Plan.objects.create(municipality=goyang, title="기간 없는 사업", kind="other")
    body = client.get(bare.get_absolute_url()).content.decode()
    assert "기타" in body
    for label in ("<dt>기간</dt>", "<dt>승인일</dt>", "<dt>계획 문서</dt>", "<dt>비고</dt>"):
        assert label not in body


def test_services_are_grouped_by_field_in_the_fields_order(client, analysed_plan):
    response = client.get(analysed_plan.get_absolute_url())
    assert [(code, name) for code, name, _ in rows(response)] == [
        ("transport", "스마트 버스정류장"),
        ("transport", "스마트 횡단보도"),
        ("environment-energy-water", "위해 조류 퇴치시스템"),
        ("safety-disaster", "지능형 CCTV"),
    ]
    body = response.content.decode()
    fields = ("transport", "environment-energy-water", "safety-disaster")
    headings = [body.index(f'<h3><a href="/categories/{code}/">') for code in fields]
    assert headings == sorted(headings)


def test_each_service_counts_the_other_local_governments_planning_its_idea(client, analysed_plan):
    response = client.get(analysed_plan.get_absolute_url())
    counts = {name: others for _, name, others in rows(response)}
    # 김해's two crossings count once; 고양 itself is never counted.
    assert counts == {
        "스마트 횡단보도": 2,
        "스마트 버스정류장": 1,
        "위해 조류 퇴치시스템": 0,
        "지능형 CCTV": 0,
    }
    body = response.content.decode()
    assert "2곳" in body
    assert "1곳" in body
    assert body.count("없음 (독자)") == 2


def test_page_gives_the_plans_share_of_original_services(client, analysed_plan):
    response = client.get(analysed_plan.get_absolute_url())
    shown = response.context["plan"]
    assert (shown.service_count, shown.original_count, shown.original_share) == (4, 2, 50.0)
    assert "50.0%" in response.content.decode()


def test_counts_follow_the_stored_spread_when_a_copy_elsewhere_is_withdrawn(client, analysed_plan):
    copy = Service.objects.get(name="스마트버스정류장")
    copy.is_published = False
    copy.save()
    response = client.get(analysed_plan.get_absolute_url())
    counts = {name: others for _, name, others in rows(response)}
    assert counts["스마트 버스정류장"] == 0
    assert response.context["plan"].original_count == 3
    assert response.context["plan"].original_share == 75.0


def test_before_any_analysis_every_service_is_original(client, plan, make_service):
    make_service("스마트 횡단보도")
    response = client.get(plan.get_absolute_url())
    assert [others for *_, others in rows(response)] == [0]
    assert response.context["plan"].original_share == 100.0


def test_drafts_never_appear(client, analysed_plan):
    response = client.get(analysed_plan.get_absolute_url())
    assert "비공개 주차 초안" not in response.content.decode()
    assert "비공개 주차 초안" not in [name for _, name, _ in rows(response)]


def test_a_plan_without_published_services_says_so(client, plan, make_service):
    make_service("비공개 초안", is_published=False)
    response = client.get(plan.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "이 계획에는 아직 공개된 서비스가 없습니다." in body
    assert "비공개 초안" not in body
    assert response.context["plan"].service_count == 0
    assert response.context["plan"].original_share == 0.0


def test_synthetic_plans_have_a_page_like_any_plan(client, goyang):
    synthetic = Plan.objects.create(municipality=goyang, title="합성 계획", is_synthetic=True)
    assert client.get(synthetic.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("path", ["/plans/999999/", "/plans/abc/", f"/plans/{10**30}/"])
def test_unknown_plans_answer_404(client, path):
    assert client.get(path).status_code == 404


# Links and breadcrumbs


def test_breadcrumbs_lead_home_to_the_list_the_municipality_and_the_plan(client, plan):
    body = client.get(plan.get_absolute_url()).content.decode()
    trail = body.split('<nav class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', trail)
    assert links == [
        ("/", "처음"),
        ("/municipalities/", "자치단체 목록"),
        ("/municipalities/41280/", "경기도 고양시"),
    ]
    assert '<span aria-current="page">고양시 스마트도시계획</span>' in trail


def test_plan_url_is_the_plan_page(plan):
    assert plan.get_absolute_url() == f"/plans/{plan.pk}/"
    assert reverse("catalog:plan-detail", args=[plan.pk]) == plan.get_absolute_url()


def test_page_links_to_the_plans_services_in_the_browse_page(client, plan, make_service):
    make_service()
    body = client.get(plan.get_absolute_url()).content.decode()
    assert f'href="/services/?plan={plan.pk}">이 계획의 서비스 모두 보기</a>' in body
    assert plan.get_service_list_url() == f"/services/?plan={plan.pk}"


def test_municipality_page_links_its_plans_to_their_pages(client, plan, goyang):
    body = client.get(goyang.get_absolute_url()).content.decode()
    assert f'<a href="/plans/{plan.pk}/">고양시 스마트도시계획</a>' in body


def test_service_page_links_its_plan_to_the_plan_page(client, plan, make_service):
    body = client.get(make_service().get_absolute_url()).content.decode()
    assert f'<a href="/plans/{plan.pk}/">고양시 스마트도시계획</a>' in body


def test_browse_cards_link_the_plan_to_the_plan_page(client, plan, make_service):
    make_service()
    body = client.get(reverse("catalog:service-list")).content.decode()
    cards = body.split('<ol class="result-list"', 1)[1].split("</ol>", 1)[0]
    assert f'<a href="/plans/{plan.pk}/">고양시 스마트도시계획</a>' in cards


def test_page_describes_the_plan_as_a_work_of_its_municipality(client, plan):
    plan.document_url = "https://example.org/plan.pdf"
    plan.save()
    data = json_ld(client.get(plan.get_absolute_url()))
    assert data["@type"] == "CreativeWork"
    assert data["name"] == "고양시 스마트도시계획"
    assert data["url"] == f"http://testserver/plans/{plan.pk}/"
    assert data["author"]["url"] == "http://testserver/municipalities/41280/"
    assert data["temporalCoverage"] == "2024/2028"
    assert data["isBasedOn"] == ["https://example.org/plan.pdf"]


# Queries and languages


@pytest.mark.parametrize("more_services", [0, 30])
def test_page_runs_two_queries_however_many_services(
    client, analysed_plan, make_service, django_assert_num_queries, more_services
):
    fields = list(Category.objects.all())
    for number in range(more_services):
        make_service(f"추가 서비스 {number}", category=fields[number % len(fields)])
    with django_assert_num_queries(2):
        response = client.get(analysed_plan.get_absolute_url())
    assert len(rows(response)) == 4 + more_services


def test_page_speaks_english_when_asked(client, analysed_plan):
    client.cookies["django_language"] = "en"
    body = client.get(analysed_plan.get_absolute_url()).content.decode()
    assert "Transport</a>" in body
    assert "Original services" in body
    assert "2 local governments" in body
    assert "1 local government<" in body
    assert "Local governments</a>" in body
    assert "스마트 횡단보도" in body  # names stay as entered
