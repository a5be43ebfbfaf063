"""Administrators make releases in the admin; nobody changes or deletes one there."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from releases.models import Release
from tests.releases.conftest import LockHolder

pytestmark = pytest.mark.django_db
MAKE = reverse("admin:releases_release_make")
LIST = reverse("admin:releases_release_changelist")


def signed_in(client, role: str):
    user = User.objects.create_user(role, password="pw-1234-long", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def test_an_administrator_makes_a_release_with_notes(client, analysed):
    admin = signed_in(client, "관리자")
    assert f'href="{MAKE}"' in admin.get(LIST).content.decode()
    response = admin.post(MAKE, {"notes": "  상반기 판  "}, follow=True)
    release = Release.objects.get()
    assert (release.notes, release.made_by) == ("상반기 판", "관리자")
    assert release.path.exists()
    assert f"릴리스 {release.version}을(를) 만들었습니다" in response.content.decode()


def test_a_refused_release_says_why_and_makes_nothing(client, analysed):
    admin = signed_in(client, "관리자")
    with LockHolder():
        response = admin.post(MAKE, {"notes": ""}, follow=True)
    assert "중복 분석이 실행 중입니다" in response.content.decode()
    assert not Release.objects.exists()


def test_reviewers_see_releases_but_may_not_make_one(client, release):
    reviewer = signed_in(client, "검토자")
    body = reviewer.get(LIST).content.decode()
    assert release.version in body
    assert f'href="{MAKE}"' not in body
    assert reviewer.get(MAKE).status_code == 403
    assert reviewer.post(MAKE, {"notes": "x"}).status_code == 403
    assert Release.objects.count() == 1


def test_a_release_cannot_be_changed_or_deleted_in_the_admin(client, release):
    admin = signed_in(client, "관리자")
    change = reverse("admin:releases_release_change", args=[release.pk])
    body = admin.get(change).content.decode()
    assert 'name="notes"' not in body  # shown, not editable
    delete = reverse("admin:releases_release_delete", args=[release.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 403
    assert admin.get(reverse("admin:releases_release_add")).status_code == 403
    assert Release.objects.get().path.exists()
