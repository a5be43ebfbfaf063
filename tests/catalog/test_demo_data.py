"""The demo catalog: real services from the news and the issue paper, with sources."""

import pytest
from django.core.management import call_command

from catalog.loading import DEMO_FIXTURES, load_fixtures
from catalog.models import Plan, Service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loaded(demo_data):
    pass


def test_demo_services_are_published_with_category_and_source():
    services = Service.objects.all()
    assert services.count() == 69
    assert not services.filter(is_published=False).exists()
    for service in services:
        assert service.source_url or service.source_note, service.name


def test_news_services_keep_their_report_url():
    service = Service.objects.get(name="여성화장실 안심벨")
    assert service.source_url.startswith("https://biz.heraldcorp.com/")
    assert service.category.code == "safety-disaster"
    assert service.category_basis == "source"


def test_categories_we_assigned_are_marked_as_ours():
    service = Service.objects.get(name="스마트 주차공유 시스템")
    assert service.category_basis == "editor"
    assert service.subcategory.code == "transport-parking"


def test_the_issue_papers_named_services_are_included():
    expected = {
        "스마트슈즈 '꼬까신'": "41280",
        "어린이 안심통학": "48120",
        "하천 염도측정시스템": "46230",
        "위해 조류 퇴치시스템": "41220",
        "드럼형 도로 물분사 서비스": "41190",
    }
    for name, code in expected.items():
        service = Service.objects.get(name=name)
        assert service.plan.municipality.code == code
        assert "이슈페이퍼" in service.source_note


def test_same_titled_plans_stay_apart_by_municipality():
    plans = Plan.objects.filter(title="2021년 스마트시티 솔루션 확산사업")
    assert set(plans.values_list("municipality__code", flat=True)) == {
        "41220",  # 평택시
        "27140",  # 대구 동구
        "27290",  # 대구 달서구
        "47210",  # 영주시
    }


def test_plans_reported_without_services_are_kept():
    assert Plan.objects.filter(title="옥천군 스마트도시계획", services__isnull=True).exists()


def test_loading_demo_again_changes_nothing(capsys):
    report = load_fixtures(DEMO_FIXTURES)
    assert not report.changed
    call_command("load_demo_data")
    assert "nothing changed" in capsys.readouterr().out


def test_reloading_demo_restores_tags():
    service = Service.objects.get(name="CCTV 방범망 구축")
    service.tags.clear()
    report = load_fixtures(DEMO_FIXTURES)
    assert report.updated["catalog.Service"] == 1
    assert list(service.tags.values_list("name", flat=True)) == ["CCTV"]
