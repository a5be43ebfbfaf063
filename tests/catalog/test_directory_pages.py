"""Directory pages: municipality list, category list, compare; the national shares on a
municipality's page, the service page's JSON-LD and the header navigation."""

import json
import re
from itertools import cycle

import pytest
from django.urls import reverse

from catalog.models import Category, Municipality, Plan, Service, Tag

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture
def gimhae_plan(db) -> Plan:
    return Plan.objects.create(
        municipality=Municipality.objects.get(code="48250"), title="김해시 스마트도시계획"
    )


@pytest.fixture
def small_catalog(make_service, gimhae_plan):
    """Two published services in 고양시 (41280), one in 김해시 (48250), one draft in 고양시."""
    make_service("스마트 가로등")
    make_service("지능형 CCTV")
    make_service(
        "스마트 버스정류장", plan=gimhae_plan, category=Category.objects.get(code="transport")
    )
    make_service("비공개 초안", category=Category.objects.get(code="transport"), is_published=False)


def add_services(count: int) -> None:
    """``count`` more published services spread over cities, fields and tags."""
    cities = Municipality.objects.filter(code__in=["41280", "48250", "41190", "36000", "11200"])
    plans = cycle(
        [Plan.objects.get_or_create(municipality=city, title="추가 계획")[0] for city in cities]
    )
    categories = cycle(Category.objects.all())
    tags = list(Tag.objects.all()[:3])
    for number in range(count):
        service = Service.objects.create(
            plan=next(plans),
            category=next(categories),
            name=f"추가 서비스 {number}",
            source_page="1",
            is_published=True,
        )
        service.tags.set(tags)


def by_code(categories, code: str):
    return next(category for category in categories if category.code == code)


# Every page answers


@pytest.mark.parametrize(
    "url",
    [
        "/municipalities/",
        "/categories/",
        "/compare/",
        "/compare/?m=41280&m=48250",
        "/compare/?m=41280&m=48250&m=41190&m=36000&m=27140&m=11200",
        "/municipalities/41280/",
        "/municipalities/36000/",
        "/municipalities/41000/",
    ],
)
def test_every_page_answers(client, demo_data, url):
    assert client.get(url).status_code == 200


# Municipality list


def test_municipality_list_groups_all_243_by_sido(client):
    response = client.get(reverse("catalog:municipality-list"))
    groups = response.context["groups"]
    assert len(groups) == 17
    assert sum(len(group.rows) for group in groups) == 243
    for group in groups:
        assert group.sido.is_sido
        assert all(member.code[:2] == group.sido.code[:2] for member in group.members)
        assert all(not member.is_sido for member in group.members)
    gyeonggi = next(group for group in groups if group.sido.code == "41000")
    assert [group.sido.name for group in groups][:2] == ["서울특별시", "부산광역시"]
    assert "고양시" in [member.name for member in gyeonggi.members]


def test_municipality_list_counts_published_services_and_plans(client, small_catalog):
    sejong_plan = Plan.objects.create(
        municipality=Municipality.objects.get(code="36000"), title="세종 스마트도시계획"
    )
    Plan.objects.create(municipality=Municipality.objects.get(code="48250"), title="빈 계획")
    Service.objects.create(
        plan=sejong_plan,
        name="세종 자율주행 버스",
        category=Category.objects.get(code="transport"),
        source_page="3",
        is_published=True,
    )
    response = client.get(reverse("catalog:municipality-list"))
    rows = {row.code: row for group in response.context["groups"] for row in group.rows}
    assert (rows["41280"].service_count, rows["41280"].plan_count) == (2, 1)
    assert (rows["48250"].service_count, rows["48250"].plan_count) == (1, 2)
    assert (rows["36000"].service_count, rows["36000"].plan_count) == (1, 1)
    assert (rows["41000"].service_count, rows["41000"].plan_count) == (0, 0)
    body = response.content.decode()
    assert 'id="sido-36000"' in body
    assert reverse("catalog:municipality-detail", args=["36000"]) in body


# Category list


def test_category_list_shows_shares_of_published_services(client, small_catalog):
    response = client.get(reverse("catalog:category-list"))
    categories = list(response.context["categories"])
    assert len(categories) == 12
    safety = by_code(categories, "safety-disaster")
    transport = by_code(categories, "transport")
    assert (safety.service_count, round(safety.share, 2)) == (2, 66.67)
    assert (transport.service_count, round(transport.share, 2)) == (1, 33.33)
    assert sum(category.service_count for category in categories) == 3
    body = response.content.decode()
    assert "66.7%" in body
    assert "33.3%" in body


def test_category_list_shows_definitions_and_subgroups(client):
    response = client.get(reverse("catalog:category-list"))
    body = response.content.decode()
    transport = Category.objects.get(code="transport")
    assert transport.description_ko[:30] in body
    for sub in transport.subcategories.all():
        assert sub.name_ko in body


def test_category_list_with_no_services_has_zero_shares(client):
    response = client.get(reverse("catalog:category-list"))
    assert {(c.service_count, c.share) for c in response.context["categories"]} == {(0, 0.0)}


# Municipality page: national shares and the link to the browse page


def test_municipality_page_shows_its_shares_beside_the_national_ones(client, small_catalog):
    response = client.get(reverse("catalog:municipality-detail", args=["41280"]))
    categories = list(response.context["categories"])
    safety = by_code(categories, "safety-disaster")
    transport = by_code(categories, "transport")
    assert (safety.service_count, safety.share) == (2, 100.0)
    assert (safety.national_count, round(safety.national_share, 2)) == (2, 66.67)
    assert (transport.service_count, transport.share) == (0, 0.0)
    assert (transport.national_count, round(transport.national_share, 2)) == (1, 33.33)
    body = response.content.decode()
    assert 'class="chart-bar chart-series-1"' in body  # the national share beside it
    assert "비공개 초안" not in body


def test_municipality_page_links_to_its_services(client, small_catalog):
    body = client.get(reverse("catalog:municipality-detail", args=["41280"])).content.decode()
    assert f'href="{reverse("catalog:service-list")}?municipality=41280"' in body
    assert "이 자치단체의 서비스 모두 보기" in body


def test_sido_page_links_to_its_regions_services(client):
    body = client.get(reverse("catalog:municipality-detail", args=["41000"])).content.decode()
    assert f'href="{reverse("catalog:service-list")}?sido=41"' in body


# Compare


def compare(client, *codes):
    return client.get(reverse("catalog:compare"), {"m": list(codes)})


def test_compare_puts_counts_shares_and_services_side_by_side(client, small_catalog):
    response = compare(client, "41280", "48250")
    assert response.status_code == 200
    assert [m.code for m in response.context["selected"]] == ["41280", "48250"]
    assert response.context["notices"] == []
    rows = {row.category.code: row for row in response.context["rows"]}
    assert len(rows) == 12
    safety, transport = rows["safety-disaster"].cells, rows["transport"].cells
    assert [(cell.count, cell.share) for cell in safety] == [(2, 100.0), (0, 0.0)]
    assert [(cell.count, cell.share) for cell in transport] == [(0, 0.0), (1, 100.0)]
    assert [s.name for s in safety[0].services] == ["스마트 가로등", "지능형 CCTV"]
    assert [s.name for s in transport[1].services] == ["스마트 버스정류장"]
    body = response.content.decode()
    assert "비공개 초안" not in body
    assert '<option value="41280" selected>' in body
    assert '<option value="48250" selected>' in body


def test_compare_shares_are_within_each_municipality(client, small_catalog, gimhae_plan):
    Service.objects.create(
        plan=gimhae_plan,
        name="김해 안전 서비스",
        category=Category.objects.get(code="safety-disaster"),
        source_page="9",
        is_published=True,
    )
    response = compare(client, "48250", "41280")
    rows = {row.category.code: row for row in response.context["rows"]}
    assert [cell.share for cell in rows["transport"].cells] == [50.0, 0.0]
    assert [cell.share for cell in rows["safety-disaster"].cells] == [50.0, 100.0]


def test_compare_without_a_choice_shows_the_form(client):
    response = client.get(reverse("catalog:compare"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.context["notices"] == []
    body = response.content.decode()
    assert body.count('<select id="compare-m') == 6
    assert '<label for="compare-m1">' in body


def test_compare_with_one_municipality_asks_for_another(client, small_catalog):
    response = compare(client, "41280")
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.context["notices"] == ["비교하려면 자치단체를 두 곳 이상 고르세요."]
    assert '<option value="41280" selected>' in response.content.decode()


def test_compare_reports_and_ignores_unknown_codes(client, small_catalog):
    response = compare(client, "41280", "99999", "abc", "48250")
    assert response.status_code == 200
    assert [m.code for m in response.context["selected"]] == ["41280", "48250"]
    assert len(response.context["rows"]) == 12
    [notice] = response.context["notices"]
    assert "99999" in notice
    assert "abc" in notice


def test_compare_with_only_unknown_codes_answers_with_the_form(client):
    response = compare(client, "00000", "1234567890" * 100, "<script>", "41280'--")
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert len(response.context["notices"]) == 2
    body = response.content.decode()
    assert "<script>" not in body.split('<main id="main"', 1)[1]
    assert "&lt;script&gt;" in body


def test_compare_keeps_the_first_six(client, demo_data):
    codes = ["41280", "48250", "41190", "36000", "27140", "11200", "46230", "48120"]
    response = compare(client, *codes)
    assert response.status_code == 200
    assert [m.code for m in response.context["selected"]] == codes[:6]
    assert len(response.context["rows"][0].cells) == 6
    assert response.context["notices"] == ["한 번에 6곳까지 비교합니다. 앞의 6곳만 보여 줍니다."]


def test_compare_drops_repeats_and_blank_values(client, small_catalog):
    response = compare(client, "", "41280", " 41280 ", "41280", "", "48250", "48250", "  ")
    assert response.status_code == 200
    assert [m.code for m in response.context["selected"]] == ["41280", "48250"]
    assert response.context["notices"] == []


def test_compare_with_only_blank_values_asks_for_a_choice(client):
    response = client.get("/compare/?m=&m=")
    assert response.status_code == 200
    assert response.context["notices"] == ["비교하려면 자치단체를 두 곳 이상 고르세요."]


def test_compare_counts_a_sido_by_its_own_plans(client, small_catalog):
    response = compare(client, "41000", "41280")
    rows = {row.category.code: row for row in response.context["rows"]}
    assert [cell.count for cell in rows["safety-disaster"].cells] == [0, 2]


# Service page: schema.org JSON-LD


def json_ld(response) -> dict:
    [block] = JSON_LD.findall(response.content.decode())
    return json.loads(block)


def test_service_page_describes_itself_as_a_government_service(client, make_service):
    service = make_service(description="가로등이 밝기를 스스로 조절합니다.")
    service.source_url = "https://example.org/news/1"
    service.save()
    data = json_ld(client.get(service.get_absolute_url()))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "GovernmentService"
    assert data["name"] == "스마트 가로등"
    assert data["description"] == "가로등이 밝기를 스스로 조절합니다."
    assert data["serviceType"] == service.category.name_ko
    assert data["provider"] == {
        "@type": "GovernmentOrganization",
        "name": "경기도 고양시",
        "url": "http://testserver/municipalities/41280/",
    }
    assert data["areaServed"]["name"] == "경기도 고양시"
    assert data["url"] == f"http://testserver{service.get_absolute_url()}"
    assert data["isBasedOn"] == "https://example.org/news/1"


def test_service_json_ld_leaves_out_what_is_missing(client, make_service):
    data = json_ld(client.get(make_service().get_absolute_url()))
    assert "isBasedOn" not in data
    assert "description" not in data


def test_service_json_ld_cannot_close_its_script_element(client, make_service):
    name = '</script><script>alert("x")</script> & <!--'
    service = make_service(name, description="a < b > c & d")
    response = client.get(service.get_absolute_url())
    body = response.content.decode()
    block = JSON_LD.findall(body)[0]
    assert "<" not in block
    assert ">" not in block
    assert "&" not in block
    assert "\\u003C/script\\u003E" in block
    data = json.loads(block)
    assert data["name"] == name
    assert data["description"] == "a < b > c & d"


def test_service_json_ld_speaks_the_page_language(client, make_service):
    client.cookies["django_language"] = "en"
    data = json_ld(client.get(make_service().get_absolute_url()))
    assert data["serviceType"] == Category.objects.get(code="safety-disaster").name_en


# Header navigation


@pytest.mark.parametrize(
    ("url", "link", "state"),
    [
        ("/categories/", "/categories/", "page"),
        ("/categories/transport/", "/categories/", "true"),
        ("/municipalities/", "/municipalities/", "page"),
        ("/municipalities/41280/", "/municipalities/", "true"),
        ("/compare/", "/compare/", "page"),
        ("/services/", "/services/", "page"),
    ],
)
def test_navigation_marks_the_current_section(client, url, link, state):
    body = client.get(url).content.decode()
    nav = body.split('<ul class="nav">', 1)[1].split("</ul>", 1)[0]
    assert nav.count("aria-current") == 1
    assert f'<a href="{link}" aria-current="{state}">' in nav
    for other in ("/services/", "/categories/", "/municipalities/", "/compare/"):
        assert f'href="{other}"' in nav


def test_navigation_marks_nothing_on_the_home_page(client):
    body = client.get("/").content.decode()
    nav = body.split('<ul class="nav">', 1)[1].split("</ul>", 1)[0]
    assert "aria-current" not in nav


# Query counts: fixed, whatever the amount of data


QUERY_COUNTS = [
    ("/municipalities/", 1),
    ("/categories/", 3),
    ("/compare/", 1),
    ("/compare/?m=41280&m=abc", 1),
    ("/compare/?m=41280&m=48250&m=41190", 7),
    ("/municipalities/41280/", 13),
    ("/municipalities/36000/", 14),
    ("/municipalities/41000/", 14),
]


@pytest.mark.parametrize(("url", "queries"), QUERY_COUNTS)
def test_pages_run_a_fixed_number_of_queries(
    client, demo_data, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(("url", "queries"), QUERY_COUNTS)
def test_query_counts_do_not_grow_with_the_data(
    client, demo_data, django_assert_num_queries, url, queries
):
    add_services(30)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_service_page_query_count_does_not_grow(client, demo_data, django_assert_num_queries):
    add_services(30)
    service = Service.objects.get(name="추가 서비스 7")
    with django_assert_num_queries(3):
        response = client.get(service.get_absolute_url())
    assert json_ld(response)["name"] == "추가 서비스 7"
