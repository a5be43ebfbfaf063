"""Errors where they happen: each beside its field, once; a summary at the top links to each;
a line of a plan's service table with an error is marked and can be jumped to (no script)."""

import pytest
from django.urls import reverse

from catalog.models import Category, Plan, Service

pytestmark = pytest.mark.django_db

PROVENANCE = "출처 URL, 문서 쪽, 출처 메모 중 하나는 적어야 합니다."
BACKWARDS = "시작 연도는 종료 연도보다 늦을 수 없습니다."


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def line(body: str, row_id: str) -> str:
    """The HTML of one line of the service table (``services-2``)."""
    start = body.rindex('<div class="inline-related', 0, body.index(f'id="{row_id}"'))
    return body[start : body.index('<div class="inline-related', start + 1)]


def summary(body: str) -> str:
    start = body.index('class="error-summary"')
    return body[start : body.index("</section>", start)]


def plan_with_lines(goyang, lines: list[dict], **plan) -> dict:
    data = {
        "municipality": goyang.pk,
        "title": "고양시 스마트도시계획",
        "kind": "master_plan",
        "start_year": "2025",
        "end_year": "2029",
        "services-TOTAL_FORMS": str(len(lines)),
        "services-INITIAL_FORMS": "0",
        "services-MIN_NUM_FORMS": "0",
        "services-MAX_NUM_FORMS": "1000",
        **plan,
    }
    category = Category.objects.get(code="transport").pk
    for index, fields in enumerate(lines):
        values = {"category": category, "status": "planned", **fields}
        data.update({f"services-{index}-{key}": value for key, value in values.items()})
    return data


def test_a_service_without_a_source_is_reported_once_beside_its_source_and_linked_from_the_top(
    staff_client, goyang
):
    lines = [
        {"name": "스마트 가로등", "source_page": "1"},
        {"name": "공영주차장 안내", "source_page": "2"},
        {"name": "출처 없는 서비스"},
    ]
    response = staff_client.post(reverse("admin:catalog_plan_add"), plan_with_lines(goyang, lines))
    assert response.status_code == 200
    body = response.content.decode()
    bad = line(body, "services-2")
    assert bad.count(PROVENANCE) == 1
    assert "field-source_url errors" in bad
    assert "has-errors" in bad
    assert "고칠 곳 있음" in bad
    assert "has-errors" not in line(body, "services-0")
    top = summary(body)
    assert 'href="#services-2"' in top
    assert "서비스 3: 출처 없는 서비스" in top
    assert body.count(PROVENANCE) == 2  # in the summary and beside the field, nowhere else
    assert not Plan.objects.exists()


def test_a_backwards_period_is_shown_beside_the_end_year_and_linked_from_the_top(
    staff_client, goyang
):
    data = plan_with_lines(goyang, [], start_year="2030", end_year="2025")
    response = staff_client.post(reverse("admin:catalog_plan_add"), data)
    body = response.content.decode()
    assert body.count(BACKWARDS) == 2
    assert response.context["adminform"].form.errors["end_year"] == [BACKWARDS]
    assert 'href="#id_end_year"' in summary(body)
    assert not response.context["adminform"].form.non_field_errors()


def test_the_service_page_reports_a_missing_source_beside_its_fields(staff_client, plan):
    response = staff_client.post(
        reverse("admin:catalog_service_add"),
        {
            "plan": plan.pk,
            "name": "출처 없는 서비스",
            "category": Category.objects.get(code="transport").pk,
            "category_basis": "editor",
            "status": "planned",
        },
    )
    form = response.context["adminform"].form
    assert form.errors["source_url"] == [PROVENANCE]
    assert not form.non_field_errors()
    assert 'href="#id_source_url"' in summary(response.content.decode())
    assert not Service.objects.exists()


def test_a_duplicate_name_in_the_table_is_linked_to_its_line(staff_client, goyang):
    lines = [
        {"name": "스마트 가로등", "source_page": "1"},
        {"name": "스마트 가로등", "source_page": "2"},
    ]
    response = staff_client.post(reverse("admin:catalog_plan_add"), plan_with_lines(goyang, lines))
    links = response.context["error_summary"]
    assert links
    assert all(link.href.startswith("#services") for link in links)


def test_a_page_without_errors_has_no_summary(staff_client, plan):
    response = staff_client.get(reverse("admin:catalog_plan_change", args=[plan.pk]))
    assert response.context["error_summary"] == []
    assert 'class="error-summary"' not in response.content.decode()
