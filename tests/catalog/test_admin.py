"""Staff data entry through the Django admin."""

import pytest
from django.urls import reverse

from catalog.models import Category, Municipality, Plan, Service, SubCategory, Tag

pytestmark = pytest.mark.django_db

MODELS = [Municipality, Plan, Service, Category, SubCategory, Tag]


def admin_url(model, view):
    return reverse(f"admin:catalog_{model._meta.model_name}_{view}")


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("view", ["changelist", "add"])
def test_staff_can_open_every_list_and_add_page(staff_client, demo_data, model, view):
    response = staff_client.get(admin_url(model, view))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("view", ["changelist", "add"])
def test_anonymous_visitors_are_sent_to_login(client, model, view):
    url = admin_url(model, view)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_change_page_opens(staff_client, demo_data, model):
    obj = model.objects.first()
    response = staff_client.get(
        reverse(f"admin:catalog_{model._meta.model_name}_change", args=[obj.pk])
    )
    assert response.status_code == 200


def test_lists_show_counts(staff_client, demo_data):
    response = staff_client.get(admin_url(Municipality, "changelist"), {"q": "41280"})
    goyang_services = Service.objects.filter(plan__municipality__code="41280").count()
    assert response.context["cl"].result_list[0].service_count == goyang_services


def test_service_list_filters_by_sido(staff_client, demo_data):
    response = staff_client.get(admin_url(Service, "changelist"), {"sido": "27000"})
    names = {s.plan.municipality.parent.name for s in response.context["cl"].result_list}
    assert names == {"대구광역시"}


def test_service_list_runs_a_fixed_number_of_queries(
    staff_client, demo_data, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = staff_client.get(admin_url(Service, "changelist"))
    assert len(response.context["cl"].result_list) == 50


def test_municipality_autocomplete_finds_by_name(staff_client):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "동구",
            "app_label": "catalog",
            "model_name": "plan",
            "field_name": "municipality",
        },
    )
    assert response.status_code == 200
    labels = [result["text"] for result in response.json()["results"]]
    assert "대구광역시 동구" in labels
    assert "부산광역시 동구" in labels


def test_superuser_adds_a_plan_with_services(staff_client):
    goyang = Municipality.objects.get(code="41280")
    safety = Category.objects.get(code="safety-disaster")
    transport = Category.objects.get(code="transport")
    parking = SubCategory.objects.get(code="transport-parking")
    prefix = "services"
    data = {
        "municipality": goyang.pk,
        "title": "고양시 스마트도시계획 (2025~2029)",
        "kind": "master_plan",
        "start_year": "2025",
        "end_year": "2029",
        "approved_on": "",
        "document_url": "https://example.org/goyang-plan.pdf",
        "source_url": "",
        "note": "",
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-name": "지능형 CCTV 관제",
        f"{prefix}-0-category": safety.pk,
        f"{prefix}-0-status": "planned",
        f"{prefix}-0-source_page": "88",
        f"{prefix}-1-name": "공영주차장 주차면 안내",
        f"{prefix}-1-category": transport.pk,
        f"{prefix}-1-subcategory": parking.pk,
        f"{prefix}-1-status": "planned",
        f"{prefix}-1-source_page": "91",
    }
    response = staff_client.post(admin_url(Plan, "add"), data)
    assert response.status_code == 302, response.context["errors"]
    plan = Plan.objects.get(title="고양시 스마트도시계획 (2025~2029)")
    assert sorted(plan.services.values_list("name", flat=True)) == [
        "공영주차장 주차면 안내",
        "지능형 CCTV 관제",
    ]
    assert not plan.services.filter(is_published=True).exists()


def test_admin_form_reports_a_period_that_runs_backwards(staff_client):
    goyang = Municipality.objects.get(code="41280")
    response = staff_client.post(
        admin_url(Plan, "add"),
        {
            "municipality": goyang.pk,
            "title": "거꾸로 계획",
            "kind": "master_plan",
            "start_year": "2030",
            "end_year": "2025",
            "services-TOTAL_FORMS": "0",
            "services-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "시작 연도는 종료 연도보다 늦을 수 없습니다." in response.content.decode()
    assert not Plan.objects.filter(title="거꾸로 계획").exists()


def test_admin_form_requires_a_source_for_a_service(staff_client, plan):
    category = Category.objects.get(code="transport")
    response = staff_client.post(
        admin_url(Service, "add"),
        {
            "plan": plan.pk,
            "name": "출처 없는 서비스",
            "category": category.pk,
            "category_basis": "editor",
            "status": "planned",
        },
    )
    assert response.status_code == 200
    assert "출처 URL, 문서 쪽, 출처 메모 중 하나는 적어야 합니다." in response.content.decode()
    assert not Service.objects.filter(name="출처 없는 서비스").exists()
