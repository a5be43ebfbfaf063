"""Suggested fields wait for a reviewer: a filter, a confirming action and a hint while typing."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from catalog.models import Category, Service

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:catalog_service_changelist"


@pytest.fixture
def reviewer(client):
    user = User.objects.create_user("reviewer", password="pw-1234-long", is_staff=True)
    user.groups.add(Group.objects.get(name="검토자"))
    client.force_login(user)
    return client


@pytest.fixture
def suggested(make_service):
    return make_service("스마트 횡단보도", category_basis="suggested", is_published=False)


def test_the_review_filter_lists_only_suggested_fields(reviewer, suggested, make_service):
    make_service("스마트 가로등")
    response = reviewer.get(reverse(CHANGELIST), {"category_review": "waiting"})
    assert [s.name for s in response.context["cl"].result_list] == ["스마트 횡단보도"]


def test_confirming_makes_the_field_an_editors_assignment_with_history(reviewer, suggested):
    reviewer.post(
        reverse(CHANGELIST),
        {"action": "confirm_suggested_category", "_selected_action": [suggested.pk]},
    )
    suggested.refresh_from_db()
    assert suggested.category_basis == "editor"
    latest = suggested.history.first()
    assert latest.history_user.username == "reviewer"
    assert latest.history_change_reason == "제안된 분야 확인"


def test_editors_cannot_confirm_suggested_fields(client, plan, suggested):
    from catalog.models import EditorAssignment

    editor = User.objects.create_user("editor", password="pw-1234-long", is_staff=True)
    editor.groups.add(Group.objects.get(name="편집자"))
    EditorAssignment.objects.create(user=editor, municipality=plan.municipality)
    client.force_login(editor)
    response = client.get(reverse(CHANGELIST))
    assert "confirm_suggested_category" not in response.content.decode()


def test_the_suggestion_endpoint_names_a_field_and_a_runner_up(reviewer):
    response = reviewer.get(
        reverse("admin:catalog_service_suggest_category"), {"name": "스마트 버스정류장"}
    )
    data = response.json()
    assert data["suggestion"]["code"] == "transport"
    assert data["suggestion"]["id"] == Category.objects.get(code="transport").pk
    assert data["alternative"]["code"] != "transport"
    assert reviewer.get(reverse("admin:catalog_service_suggest_category")).json() == {
        "suggestion": None
    }


def test_the_suggestion_endpoint_is_for_staff_only(client):
    response = client.get(reverse("admin:catalog_service_suggest_category"), {"name": "가로등"})
    assert response.status_code == 302  # to the admin's sign-in


def test_service_forms_carry_the_field_hint(reviewer, plan):
    add = reviewer.get(reverse("admin:catalog_service_add"))
    assert "js/category-hint.js" in add.content.decode()
    plan_page = reviewer.get(reverse("admin:catalog_plan_change", args=[plan.pk]))
    assert "js/category-hint.js" in plan_page.content.decode()


def test_exports_say_whether_a_field_was_suggested(client, make_service):
    make_service("스마트 횡단보도", category_basis="suggested")
    body = b"".join(client.get("/services/export/", {"format": "csv"}).streaming_content)
    header, row = body.decode("utf-8-sig").splitlines()[:2]
    assert "category_basis" in header.split(",")
    assert ",suggested," in row
    assert Service.objects.get().category_basis == "suggested"


def test_choosing_another_field_for_a_suggested_one_decides_it(reviewer, suggested):
    page = reviewer.get(reverse("admin:catalog_service_change", args=[suggested.pk]))
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and key != "tags"
    }
    data.update(
        {
            "plan": suggested.plan_id,
            "category": Category.objects.get(code="transport").pk,
            "status": suggested.status,
            "loaded_version": suggested.version,
        }
    )
    reviewer.post(reverse("admin:catalog_service_change", args=[suggested.pk]), data)
    suggested.refresh_from_db()
    assert suggested.category.code == "transport"
    assert suggested.category_basis == "editor"
