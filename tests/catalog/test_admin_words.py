"""The admin speaks plain Korean: a refused row says why, lists say whose rows they show,
search reads text as the public search does, and no label is English jargon or a code name."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from catalog.models import Category, EditorAssignment, Municipality, Plan, Service, Tag

pytestmark = pytest.mark.django_db


def staff_user(username: str, role: str, *codes: str) -> User:
    user = User.objects.create_user(username, password="pw-1234-long", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    for code in codes:
        EditorAssignment.objects.create(user=user, municipality=Municipality.objects.get(code=code))
    return user


@pytest.fixture
def gimhae_service(make_service):
    plan = Plan.objects.create(municipality=Municipality.objects.get(code="48250"), title="김해")
    return make_service("김해 가로등", plan=plan, is_published=False)


@pytest.fixture
def editor(client):
    client.force_login(staff_user("goyang-editor", "편집자", "41280"))
    return client


@pytest.fixture
def reviewer(client):
    client.force_login(staff_user("reviewer", "검토자"))
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize(
    ("model", "what"), [("service", "이 서비스는"), ("plan", "이 계획은")], ids=["service", "plan"]
)
def test_a_row_outside_the_editors_local_governments_is_refused_in_plain_words(
    editor, gimhae_service, model, what
):
    obj = gimhae_service if model == "service" else gimhae_service.plan
    response = editor.get(reverse(f"admin:catalog_{model}_change", args=[obj.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse(f"admin:catalog_{model}_changelist")
    assert messages_of(response) == [
        f"{what} 담당 자치단체(경기도 고양시) 밖에 있어 열 수 없습니다."
    ]
    assert "삭제된" not in response.content.decode()


def test_a_number_that_names_no_row_says_so_without_suggesting_deletion(editor):
    response = editor.get(reverse("admin:catalog_service_change", args=[999999]), follow=True)
    assert messages_of(response) == [
        "서비스 번호 999999: 찾을 수 없습니다. 목록에서 다시 찾아 주세요."
    ]


def test_editor_lists_name_the_local_governments_they_show(editor, plan):
    body = editor.get(reverse("admin:catalog_service_changelist")).content.decode()
    assert "담당 자치단체(경기도 고양시)의 서비스만 보이고 찾습니다." in body
    plans = editor.get(reverse("admin:catalog_plan_changelist")).content.decode()
    assert "담당 자치단체(경기도 고양시)의 계획만 보이고 찾습니다." in plans


def test_a_search_that_finds_nothing_says_why(editor, gimhae_service):
    response = editor.get(reverse("admin:catalog_service_changelist"), {"q": "김해 가로등"})
    assert response.context["cl"].result_count == 0
    body = response.content.decode()
    assert "‘김해 가로등’에 맞는 항목이 없습니다." in body
    assert "담당 자치단체 밖의 것은 나오지 않습니다." in body


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("2025-2029", "스마트 가로등"),  # the title has an en dash
        ("스마트 가로등", "스마트가로등 설치"),
        ("ＣＣＴＶ", "지능형 CCTV"),
        ("고양 cctv", "지능형 CCTV"),
        ("41280 주차", "공영주차장 안내"),
    ],
)
def test_service_search_folds_text_as_the_public_search_does(reviewer, goyang, query, found):
    plan = Plan.objects.create(municipality=goyang, title="고양시 스마트도시계획 (2025–2029)")
    other = Plan.objects.create(municipality=goyang, title="고양 스마트시티 챌린지")
    transport = Category.objects.get(code="transport")
    for target, name in ((plan, "스마트 가로등"), (other, "스마트가로등 설치")):
        Service.objects.create(plan=target, name=name, category=transport, source_page="1")
    Service.objects.create(plan=other, name="지능형 CCTV", category=transport, source_page="1")
    Service.objects.create(plan=other, name="공영주차장 안내", category=transport, source_page="1")
    response = reviewer.get(reverse("admin:catalog_service_changelist"), {"q": query})
    assert found in {service.name for service in response.context["cl"].result_list}


def test_plan_search_and_autocomplete_fold_dashes_and_spaces(reviewer, goyang):
    Plan.objects.create(municipality=goyang, title="고양시 스마트도시계획 (2025–2029)")
    Plan.objects.create(municipality=goyang, title="고양시 스마트도시계획 (2019–2023)")
    found = reviewer.get(
        reverse("admin:catalog_plan_changelist"), {"q": "스마트 도시계획 2025-2029"}
    )
    assert [p.title for p in found.context["cl"].result_list] == [
        "고양시 스마트도시계획 (2025–2029)"
    ]
    autocomplete = reviewer.get(
        reverse("admin:autocomplete"),
        {
            "term": "2025-2029",
            "app_label": "catalog",
            "model_name": "service",
            "field_name": "plan",
        },
    )
    assert [r["text"] for r in autocomplete.json()["results"]] == [
        "경기도 고양시 · 고양시 스마트도시계획 (2025–2029)"
    ]


def test_admin_search_of_an_editor_stays_within_their_local_governments(editor, gimhae_service):
    response = editor.get(reverse("admin:catalog_plan_changelist"), {"q": "김해"})
    assert list(response.context["cl"].result_list) == []


def test_the_admin_home_names_third_party_records_in_korean(admin_client):
    body = admin_client.get("/admin/").content.decode()
    for english in ("Access attempts", "Access failures", "Access logs", "Axes", "사용자(들)"):
        assert english not in body
    assert "로그인 잠금" in body
    assert "로그인 시도" in body


def test_login_records_are_listed_with_korean_column_names(admin_client):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="someone", ip_address="127.0.0.1", user_agent="x", failures_since_start=2
    )
    body = admin_client.get("/admin/axes/accessattempt/").content.decode()
    for label in ("남은 시도", "시도 일시", "주소 경로", "IP 주소"):
        assert label in body
    for english in (">Status<", "Attempt Time", ">Path<"):
        assert english not in body


def test_history_is_called_a_record_in_korean(admin_client, make_service):
    service = make_service("스마트 가로등")
    change = admin_client.get(reverse("admin:catalog_service_change", args=[service.pk]))
    assert "히스토리" not in change.content.decode()
    history = admin_client.get(reverse("admin:catalog_service_history", args=[service.pk]))
    body = history.content.decode()
    assert "바꾼 사람" in body
    assert "Changed by" not in body
    assert "히스토리" not in body


def test_the_tag_list_counts_services_instead_of_printing_a_relation(admin_client, make_service):
    make_service("스마트 가로등").tags.add(Tag.objects.get(slug="iot"))
    body = admin_client.get(reverse("admin:catalog_tag_changelist")).content.decode()
    assert "catalog.Service.None" not in body
    assert "서비스 수" in body
