"""Curation that explains itself: setting a member apart says what it records ("다른 아이디어로
표시"), asks first, and is undone from the cluster page."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from analysis.models import ClusterMember, IdeaCluster, LearnedEquivalence, NotSameIdea
from analysis.runs import find_and_store
from tests.analysis.cluster_forms import inline_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(client):
    user = User.objects.create_user("reviewer", password="pw-1234-long", is_staff=True)
    user.groups.add(Group.objects.get(name="검토자"))
    client.force_login(user)
    return client


@pytest.fixture
def crossing(copied_ideas):
    """The cluster of the three 스마트 횡단보도 services, and those services."""
    find_and_store()
    services = copied_ideas["crossing"]
    return ClusterMember.objects.get(service=services[0]).cluster, services


@pytest.fixture
def mixed(add):
    """A cluster staff built of three services named apart, so that a removal teaches."""
    services = [
        add("41280", "주차공유"),
        add("48250", "주차면 감지"),
        add("27140", "공영주차장 안내"),
    ]
    cluster = IdeaCluster.objects.create(label="주차", is_confirmed=True)
    for service in services:
        ClusterMember.objects.create(cluster=cluster, service=service, origin="staff")
    return cluster, services


def change_url(cluster) -> str:
    return reverse("admin:analysis_ideacluster_change", args=[cluster.pk])


def unconfirmed(data: dict) -> dict:
    """The cluster form as the browser first posts it, before the confirmation."""
    return {key: value for key, value in data.items() if key != "confirm_set_apart"}


def test_the_member_table_says_what_the_box_records(reviewer, crossing):
    cluster, _services = crossing
    body = reviewer.get(change_url(cluster)).content.decode()
    assert "다른 아이디어로 표시" in body
    assert "Delete?" not in body
    assert "삭제?" not in body


def test_setting_a_member_apart_asks_first_and_records_nothing_yet(reviewer, crossing):
    cluster, services = crossing
    members = list(cluster.members.order_by("pk"))
    data = unconfirmed(inline_data(cluster, members, delete={services[2].pk}))
    response = reviewer.post(change_url(cluster), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "다른 아이디어로 표시할까요?" in body
    assert services[2].name in body
    assert "남은 서비스 2개와 ‘다른 아이디어’라는 결정" in body
    assert 'name="confirm_set_apart" value="1"' in body
    assert 'name="members-2-DELETE" value="on"' in body  # the same data goes again
    assert ClusterMember.objects.filter(service=services[2], cluster=cluster).exists()
    assert not NotSameIdea.objects.exists()


def test_once_confirmed_the_member_leaves_and_the_page_offers_to_undo(reviewer, crossing):
    cluster, services = crossing
    members = list(cluster.members.order_by("pk"))
    response = reviewer.post(
        change_url(cluster), inline_data(cluster, members, delete={services[2].pk}), follow=True
    )
    assert not ClusterMember.objects.filter(service=services[2], cluster=cluster).exists()
    assert NotSameIdea.objects.count() == 2
    messages = [str(m) for m in response.context["messages"]]
    assert any("다른 아이디어로 표시하고 묶음에서 뺐습니다" in m for m in messages)
    page = reviewer.get(change_url(cluster)).content.decode()
    put_back = reverse("admin:analysis_ideacluster_put_back", args=[cluster.pk, services[2].pk])
    assert put_back in page
    assert "되돌리기…" in page


def test_putting_a_member_back_withdraws_what_its_removal_recorded(reviewer, mixed):
    cluster, services = mixed
    members = list(cluster.members.order_by("pk"))
    reviewer.post(change_url(cluster), inline_data(cluster, members, delete={services[2].pk}))
    learned = LearnedEquivalence.objects.filter(kind="different", source="remove")
    assert learned.filter(is_active=True).exists()
    url = reverse("admin:analysis_ideacluster_put_back", args=[cluster.pk, services[2].pk])

    confirm = reviewer.get(url)
    assert confirm.status_code == 200
    assert "묶음에 되돌리기" in confirm.content.decode()
    assert not ClusterMember.objects.filter(service=services[2], cluster=cluster).exists()

    response = reviewer.post(url)
    assert response.status_code == 302
    assert ClusterMember.objects.get(service=services[2]).cluster == cluster
    assert not NotSameIdea.objects.exists()
    assert not learned.filter(is_active=True).exists()
    assert reviewer.get(url).status_code == 404  # nothing left to put back
    find_and_store()  # the cluster is confirmed: the next run keeps the three together
    assert ClusterMember.objects.get(service=services[2]).cluster == cluster


def test_only_curators_may_put_a_member_back(client, crossing):
    cluster, services = crossing
    editor = User.objects.create_user("editor", password="pw-1234-long", is_staff=True)
    editor.groups.add(Group.objects.get(name="편집자"))
    client.force_login(editor)
    url = reverse("admin:analysis_ideacluster_put_back", args=[cluster.pk, services[1].pk])
    assert client.post(url).status_code in (403, 404)
    assert ClusterMember.objects.filter(cluster=cluster).count() == 3
