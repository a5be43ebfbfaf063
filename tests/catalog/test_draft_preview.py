"""A draft's public address previews it for the staff who may work on it, and is a plain 404
for everyone else; a preview is never cached, never indexed and never counted."""

import pytest
from django.contrib.auth.models import Group, User

from catalog import panels, revision
from catalog.models import EditorAssignment, Municipality, Plan

pytestmark = pytest.mark.django_db

BANNER = "공개 전 미리보기"


def staff_user(username: str, role: str | None, *codes: str) -> User:
    user = User.objects.create_user(username, password="pw-1234-long", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    for code in codes:
        EditorAssignment.objects.create(user=user, municipality=Municipality.objects.get(code=code))
    return user


@pytest.fixture
def draft(make_service):
    return make_service("스마트 버스정류장", is_published=False, description="정류장 안내")


def test_an_assigned_editor_previews_a_draft_marked_as_such(client, draft):
    client.force_login(staff_user("goyang-editor", "편집자", "41280"))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert BANNER in body
    assert "스마트 버스정류장" in body
    assert "application/ld+json" not in body  # nothing for search engines
    assert '<meta name="robots" content="noindex, nofollow">' in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_preview_is_never_cached(client, draft):
    client.force_login(staff_user("reviewer", "검토자"))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    for directive in ("no-cache", "no-store", "private", "max-age=0"):
        assert directive in response["Cache-Control"]


@pytest.mark.parametrize(
    ("role", "codes"),
    [(None, ()), ("편집자", ("48250",)), ("편집자", ())],
    ids=["staff-without-role", "editor-of-another-city", "editor-without-assignment"],
)
def test_staff_who_may_not_work_on_the_draft_get_a_404(client, draft, role, codes):
    client.force_login(staff_user("someone", role, *codes))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 404
    assert BANNER not in response.content.decode()


def test_visitors_get_the_404_of_a_service_that_does_not_exist(client, draft):
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 404
    assert client.get("/services/999999/").status_code == 404


def test_a_preview_computes_and_stores_nothing_shared(client, draft, monkeypatch):
    client.force_login(staff_user("reviewer", "검토자"))

    def must_not_run(*args, **kwargs):
        raise AssertionError("a preview must not compute or cache shared figures")

    monkeypatch.setattr(revision, "cached", must_not_run)
    monkeypatch.setattr(panels, "render", must_not_run)
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_a_preview_leaves_the_public_pages_without_the_draft(client, draft, make_service):
    make_service("공개된 가로등")
    client.get("/services/")  # the browse page's rendered results are cached for everyone
    client.force_login(staff_user("reviewer", "검토자"))
    assert client.get(draft.get_absolute_url()).status_code == 200
    client.logout()
    body = client.get("/services/").content.decode()
    assert "공개된 가로등" in body
    assert "스마트 버스정류장" not in body
    plan_page = client.get(Plan.objects.get().get_absolute_url()).content.decode()
    assert "스마트 버스정류장" not in plan_page


def test_once_published_the_page_is_public_and_no_longer_a_preview(client, draft):
    draft.is_published = True
    draft.save()
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert BANNER not in response.content.decode()
    assert "application/ld+json" in response.content.decode()
