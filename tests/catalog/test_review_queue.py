"""The review queue on the admin home: drafts and suggested fields waiting, per local
government, oldest first, each count linked to the service list filtered to exactly those."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from catalog.models import Category, EditorAssignment, Municipality, Plan, Service

pytestmark = pytest.mark.django_db

HOME = "/admin/"


def staff_user(username: str, role: str, *codes: str) -> User:
    user = User.objects.create_user(username, password="pw-1234-long", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    for code in codes:
        EditorAssignment.objects.create(user=user, municipality=Municipality.objects.get(code=code))
    return user


def service(code: str, name: str, days_ago: int, **fields) -> Service:
    plan, _ = Plan.objects.get_or_create(
        municipality=Municipality.objects.get(code=code), title="스마트도시계획"
    )
    fields.setdefault("is_published", False)
    created = Service.objects.create(
        plan=plan,
        name=name,
        category=Category.objects.get(code="transport"),
        source_page="1",
        **fields,
    )
    Service.objects.filter(pk=created.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return created


@pytest.fixture
def waiting(db):
    """Drafts in 고양 (the newest), 김해 (the oldest) and 수원, and a published service of
    수원 whose field was suggested by an import."""
    return {
        "goyang": [service("41280", "고양 가로등", 1), service("41280", "고양 주차", 2)],
        "gimhae": [service("48250", "김해 가로등", 30)],
        "suwon": [
            service("41110", "수원 버스", 10),
            service("41110", "수원 안내", 5, is_published=True, category_basis="suggested"),
        ],
        "published": service("41280", "고양 공개", 40, is_published=True),
    }


def queue_of(response):
    return response.context["queue"]


def test_reviewers_see_drafts_per_local_government_oldest_first_with_counts(client, waiting):
    client.force_login(staff_user("reviewer", "검토자"))
    response = client.get(HOME)
    rows = queue_of(response).rows
    assert [(row.municipality.code, row.drafts, row.suggested) for row in rows] == [
        ("48250", 1, 0),
        ("41110", 1, 1),
        ("41280", 2, 0),
    ]
    assert queue_of(response).drafts == 4
    assert queue_of(response).suggested == 1
    body = response.content.decode()
    assert "검토 대기" in body
    assert "경상남도 김해시 초안 1개" in body
    assert "모든 자치단체" in body


def test_each_count_links_to_the_list_of_exactly_those_services(client, waiting):
    client.force_login(staff_user("reviewer", "검토자"))
    rows = {row.municipality.code: row for row in queue_of(client.get(HOME)).rows}
    drafts = client.get(rows["41280"].drafts_url).context["cl"].result_list
    assert {s.name for s in drafts} == {"고양 가로등", "고양 주차"}
    suggested = client.get(rows["41110"].suggested_url).context["cl"].result_list
    assert {s.name for s in suggested} == {"수원 안내"}


def test_editors_see_the_drafts_of_their_local_governments_their_own_and_their_assignment(
    client, waiting
):
    editor = staff_user("goyang-editor", "편집자", "41280")
    client.force_login(editor)
    mine = Service.objects.create(
        plan=waiting["goyang"][0].plan,
        name="고양 내 초안",
        category=Category.objects.get(code="transport"),
        source_page="1",
    )
    Service.history.filter(id=mine.pk).update(history_user=editor)
    response = client.get(HOME)
    queue = queue_of(response)
    assert [row.municipality.code for row in queue.rows] == ["41280"]
    assert queue.rows[0].drafts == 3
    assert queue.own_drafts == 1
    assert [place.code for place in queue.assignments] == ["41280"]
    body = response.content.decode()
    assert "담당 자치단체" in body
    assert "경기도 고양시" in body
    assert "내가 만든 초안 1개" in body
    own = client.get(queue.own_drafts_url).context["cl"].result_list
    assert [s.name for s in own] == ["고양 내 초안"]


def test_an_editor_without_an_assignment_is_told_to_ask_for_one(client, waiting):
    client.force_login(staff_user("new-editor", "편집자"))
    response = client.get(HOME)
    assert queue_of(response).rows == []
    assert "담당 자치단체를 정해 달라고" in response.content.decode()


def test_staff_who_may_not_see_services_get_no_queue(client, waiting):
    client.force_login(User.objects.create_user("clerk", password="pw-1234-long", is_staff=True))
    response = client.get(HOME)
    assert response.status_code == 200
    assert queue_of(response) is None
    assert "review-queue" not in response.content.decode()


@pytest.mark.parametrize("places", [1, 6])
def test_the_home_page_counts_the_queue_in_a_fixed_number_of_queries(
    client, django_assert_num_queries, places
):
    codes = ["41280", "48250", "41110", "11110", "26110", "27140"][:places]
    for days, code in enumerate(codes):
        service(code, f"초안 {code}", days)
    client.force_login(staff_user("reviewer", "검토자"))
    with django_assert_num_queries(7):
        response = client.get(HOME)
    assert len(queue_of(response).rows) == places


def test_a_queue_of_many_local_governments_shows_the_oldest_and_says_how_many_more(client):
    codes = Municipality.objects.local().order_by("code").values_list("code", flat=True)[:17]
    for days, code in enumerate(codes):
        service(code, f"초안 {code}", days)
    client.force_login(staff_user("reviewer", "검토자"))
    queue = queue_of(client.get(HOME))
    assert len(queue.shown) == 15
    assert queue.hidden == 2
    assert queue.shown[0].municipality.code == codes[16]  # the oldest first


def test_the_queue_lists_the_import_entry_too(client, waiting):
    client.force_login(staff_user("reviewer", "검토자"))
    body = client.get(HOME).content.decode()
    assert reverse("admin:catalog_plan_import_many") in body
    assert reverse("admin:catalog_plan_import_template") in body
