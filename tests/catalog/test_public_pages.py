"""The public pages that exist so far: home, service, municipality, category."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from catalog.models import Municipality, Service

pytestmark = pytest.mark.django_db


def test_home_shows_totals_and_category_shares(client, make_service):
    make_service("스마트 가로등")
    make_service("비공개 초안", is_published=False)
    response = client.get(reverse("catalog:home"))
    assert response.status_code == 200
    assert response.context["service_total"] == 1
    safety = next(c for c in response.context["categories"] if c.code == "safety-disaster")
    assert (safety.service_count, safety.share) == (1, 100.0)
    assert "비공개 초안" not in response.content.decode()


def test_home_with_no_services_shows_an_empty_state(client):
    response = client.get(reverse("catalog:home"))
    assert "아직 공개된 서비스가 없습니다." in response.content.decode()


def test_service_page_shows_its_city_category_and_source(client, make_service):
    service = make_service(source_url="https://example.org/news/1", description="설명 문장")
    response = client.get(service.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "경기도 고양시" in body
    assert service.category.get_absolute_url() in body
    assert "https://example.org/news/1" in body


def test_draft_services_are_not_public(client, make_service):
    draft = make_service(is_published=False)
    assert client.get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/services/999999/", "/municipalities/99999/", "/municipalities/abc/", "/categories/nope/"],
)
def test_unknown_objects_answer_404(client, url):
    assert client.get(url).status_code == 404


def test_municipality_page_is_addressed_by_code(client, demo_data):
    dong_gu_daegu = Municipality.objects.get(code="27140")
    response = client.get(dong_gu_daegu.get_absolute_url())
    assert response.status_code == 200
    assert "대구광역시 동구" in response.content.decode()
    assert [s.name for s in response.context["services"]] == ["스마트횡단보도"]


def test_sido_page_lists_its_municipalities(client, demo_data):
    response = client.get(reverse("catalog:municipality-detail", args=["27000"]))
    assert response.context["children"].count() == 9


def test_category_page_shows_definition_and_subgroups(client, demo_data):
    response = client.get(reverse("catalog:category-detail", args=["transport"]))
    body = response.content.decode()
    assert "퍼스널 모빌리티" in body
    transport = Service.objects.filter(category__code="transport", is_published=True)
    assert response.context["service_total"] == transport.count()
    counts = {m.code: n for m, n, _ in response.context["by_municipality"]}
    assert counts["27290"] == transport.filter(plan__municipality__code="27290").count()
    assert sum(counts.values()) == transport.count()
    assert "/services/?category=transport&amp;municipality=27290" in body


def test_category_page_speaks_english_when_asked(client, demo_data):
    client.cookies["django_language"] = "en"
    response = client.get(reverse("catalog:category-detail", args=["transport"]))
    assert "<h1>Transport</h1>" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/", 8),
        ("/municipalities/41280/", 13),
        ("/municipalities/41000/", 14),
        ("/categories/transport/", 6),
    ],
)
def test_pages_run_a_fixed_number_of_queries(
    client, demo_data, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(("url", "cold", "warm"), [("/", 8, 4), ("/categories/", 3, 2)])
def test_national_figures_are_counted_once_per_revision(
    client, demo_data, django_assert_num_queries, url, cold, warm
):
    def counts(response):
        return [(c.code, c.service_count) for c in response.context["categories"]]

    with django_assert_num_queries(cold):
        first = counts(client.get(url))
    with django_assert_num_queries(warm):
        assert counts(client.get(url)) == first
    Service.objects.filter(is_published=True).first().delete()
    with django_assert_num_queries(cold):
        assert sum(n for _, n in counts(client.get(url))) == sum(n for _, n in first) - 1


def test_service_page_runs_a_fixed_number_of_queries(client, demo_data, django_assert_num_queries):
    service = Service.objects.get(name="CCTV 방범망 구축")
    with django_assert_num_queries(3):
        client.get(service.get_absolute_url())


@pytest.mark.parametrize("code", ["%00", "4128", "412800", "abcde", "41280%00"])
def test_malformed_municipality_codes_are_404_on_every_database(client, code):
    assert client.get(f"/municipalities/{code}/").status_code == 404


def test_sido_page_shares_cover_its_whole_area(client, demo_data):
    response = client.get("/municipalities/41000/")
    region = Service.objects.filter(is_published=True, plan__municipality__code__startswith="41")
    assert sum(c.service_count for c in response.context["categories"]) == region.count()
    assert list(response.context["services"]) == []  # 경기도 itself plans nothing


def test_pages_declare_the_sites_own_icon(client):
    body = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg"' in body
    assert finders.find("img/favicon.svg")
