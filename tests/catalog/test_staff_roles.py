"""Roles: editors work only on their municipalities; reviewers publish; history; no lost update."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from catalog.models import Category, EditorAssignment, Municipality, Plan, Service

pytestmark = pytest.mark.django_db


def staff_user(username: str, role: str, *codes: str) -> User:
    user = User.objects.create_user(username, password="pw-1234-long", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    for code in codes:
        EditorAssignment.objects.create(user=user, municipality=Municipality.objects.get(code=code))
    return user


@pytest.fixture
def two_cities(make_service):
    goyang = Municipality.objects.get(code="41280")
    gimhae = Municipality.objects.get(code="48250")
    goyang_plan = Plan.objects.create(municipality=goyang, title="고양 계획")
    gimhae_plan = Plan.objects.create(municipality=gimhae, title="김해 계획")
    return {
        "goyang_plan": goyang_plan,
        "gimhae_plan": gimhae_plan,
        "goyang_service": make_service("고양 가로등", plan=goyang_plan, is_published=False),
        "gimhae_service": make_service("김해 가로등", plan=gimhae_plan, is_published=False),
    }


@pytest.fixture
def editor_client(client, two_cities):
    client.force_login(staff_user("goyang-editor", "편집자", "41280"))
    return client


@pytest.fixture
def reviewer(client, two_cities):
    user = staff_user("reviewer", "검토자")
    client.force_login(user)
    return client, user


def test_roles_exist_with_their_permissions():
    editor = Group.objects.get(name="편집자")
    reviewer = Group.objects.get(name="검토자")
    admin = Group.objects.get(name="관리자")
    assert editor.permissions.filter(codename="change_service").exists()
    assert not editor.permissions.filter(codename="publish_service").exists()
    assert reviewer.permissions.filter(codename="publish_service").exists()
    assert reviewer.permissions.filter(codename="edit_all_municipalities").exists()
    assert admin.permissions.filter(codename="change_user").exists()


def test_editor_lists_only_their_municipalitys_plans_and_services(editor_client, two_cities):
    plans = editor_client.get(reverse("admin:catalog_plan_changelist")).context["cl"].result_list
    assert {p.title for p in plans} == {"고양 계획", "고양시 스마트도시계획"}
    services = editor_client.get(reverse("admin:catalog_service_changelist"))
    assert [s.name for s in services.context["cl"].result_list] == ["고양 가로등"]


@pytest.mark.parametrize("name", ["gimhae_plan", "gimhae_service"])
def test_editor_cannot_open_or_change_another_municipalitys_rows_by_url(
    editor_client, two_cities, name
):
    obj = two_cities[name]
    model = obj._meta.model_name
    url = reverse(f"admin:catalog_{model}_change", args=[obj.pk])
    assert editor_client.get(url).status_code == 302  # "does not exist" for this user
    editor_client.post(url, {"name": "바꿈", "title": "바꿈"})
    obj.refresh_from_db()
    assert "바꿈" not in (getattr(obj, "name", "") + getattr(obj, "title", ""))
    history = reverse(f"admin:catalog_{model}_history", args=[obj.pk])
    assert editor_client.get(history).status_code == 404


def test_editor_cannot_add_a_service_to_another_municipalitys_plan(editor_client, two_cities):
    response = editor_client.post(
        reverse("admin:catalog_service_add"),
        {
            "plan": two_cities["gimhae_plan"].pk,
            "name": "몰래 추가",
            "category": Category.objects.get(code="transport").pk,
            "category_basis": "editor",
            "status": "planned",
            "source_page": "1",
        },
    )
    assert response.status_code == 200
    assert "plan" in response.context["adminform"].form.errors
    assert not Service.objects.filter(name="몰래 추가").exists()


def test_editor_cannot_create_a_plan_for_another_municipality(editor_client):
    response = editor_client.post(
        reverse("admin:catalog_plan_add"),
        {
            "municipality": Municipality.objects.get(code="48250").pk,
            "title": "남의 계획",
            "kind": "master_plan",
            "services-TOTAL_FORMS": "0",
            "services-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not Plan.objects.filter(title="남의 계획").exists()


def test_autocompletes_offer_only_the_editors_municipality_and_plans(editor_client):
    municipalities = editor_client.get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "catalog", "model_name": "plan", "field_name": "municipality"},
    ).json()["results"]
    assert [m["text"] for m in municipalities] == ["경기도 고양시"]
    plans = editor_client.get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "catalog", "model_name": "service", "field_name": "plan"},
    ).json()["results"]
    assert {p["text"] for p in plans} == {
        "경기도 고양시 · 고양 계획",
        "경기도 고양시 · 고양시 스마트도시계획",
    }


def test_editor_can_edit_their_own_draft_but_not_publish_it(editor_client, two_cities):
    service = two_cities["goyang_service"]
    url = reverse("admin:catalog_service_change", args=[service.pk])
    form = editor_client.get(url).context["adminform"].form
    assert "is_published" not in form.fields
    data = {
        "plan": service.plan_id,
        "name": "고양 스마트 가로등",
        "description": "",
        "category": service.category_id,
        "category_basis": "editor",
        "status": "planned",
        "source_page": "1",
        "is_published": "on",
        "loaded_version": service.version,
    }
    assert editor_client.post(url, data).status_code == 302
    service.refresh_from_db()
    assert service.name == "고양 스마트 가로등"
    assert not service.is_published
    publish = editor_client.post(
        reverse("admin:catalog_service_changelist"),
        {"action": "publish", "_selected_action": [service.pk]},
    )
    service.refresh_from_db()
    assert not service.is_published
    assert publish.status_code in (200, 302)


def test_reviewer_publishes_and_unpublishes_recording_who_and_when(reviewer, two_cities):
    client, user = reviewer
    services = [two_cities["goyang_service"], two_cities["gimhae_service"]]
    client.post(
        reverse("admin:catalog_service_changelist"),
        {"action": "publish", "_selected_action": [s.pk for s in services]},
    )
    for service in services:
        service.refresh_from_db()
        assert service.is_published
        assert service.published_by == user
        assert service.published_at is not None
    assert client.get(services[0].get_absolute_url()).status_code == 200
    client.post(
        reverse("admin:catalog_service_changelist"),
        {"action": "unpublish", "_selected_action": [services[0].pk]},
    )
    services[0].refresh_from_db()
    assert not services[0].is_published
    # Staff may preview a draft at its address (test_draft_preview); the public gets a 404.
    assert "공개 전 미리보기" in client.get(services[0].get_absolute_url()).content.decode()
    client.logout()
    assert client.get(services[0].get_absolute_url()).status_code == 404


def test_changes_are_kept_with_who_when_and_which_fields(reviewer, two_cities):
    client, user = reviewer
    service = two_cities["gimhae_service"]
    url = reverse("admin:catalog_service_change", args=[service.pk])
    client.post(
        url,
        {
            "plan": service.plan_id,
            "name": service.name,
            "description": "새 설명",
            "category": service.category_id,
            "category_basis": "editor",
            "status": "operating",
            "source_page": "12",
            "loaded_version": service.version,
        },
    )
    latest, previous = service.history.all()[:2]
    assert latest.history_user == user
    changed = {change.field for change in latest.diff_against(previous).changes}
    assert changed == {"description", "status"}
    page = client.get(reverse("admin:catalog_service_history", args=[service.pk]))
    assert page.status_code == 200
    assert "새 설명" in page.content.decode()


def test_a_stale_save_is_refused_with_a_clear_message(reviewer, two_cities):
    client, _ = reviewer
    service = two_cities["gimhae_service"]
    url = reverse("admin:catalog_service_change", args=[service.pk])
    opened_version = service.version
    # Someone else saves first.
    service.description = "먼저 저장한 내용"
    service.save()
    response = client.post(
        url,
        {
            "plan": service.plan_id,
            "name": service.name,
            "description": "늦게 저장한 내용",
            "category": service.category_id,
            "category_basis": "editor",
            "status": "planned",
            "source_page": "1",
            "loaded_version": opened_version,
        },
    )
    assert response.status_code == 200
    assert "다른 사람이 이 화면을 연 뒤에 먼저 저장했습니다" in response.content.decode()
    service.refresh_from_db()
    assert service.description == "먼저 저장한 내용"


def test_every_save_raises_the_version(make_service):
    service = make_service()
    assert service.version == 1
    service.save()
    service.save(update_fields=["status"])
    service.refresh_from_db()
    assert service.version == 3


def test_service_list_filters_by_municipality(reviewer, two_cities):
    client, _ = reviewer
    response = client.get(reverse("admin:catalog_service_changelist"))
    spec = next(
        f
        for f in response.context["cl"].filter_specs
        if getattr(f, "field_path", "") == "plan__municipality"
    )
    assert {label for _, label in spec.lookup_choices} == {"경기도 고양시", "경상남도 김해시"}
    filtered = client.get(
        reverse("admin:catalog_service_changelist"),
        {"plan__municipality__id__exact": Municipality.objects.get(code="48250").pk},
    )
    assert [s.name for s in filtered.context["cl"].result_list] == ["김해 가로등"]
