"""Staff curate clusters in the admin; their decisions outlive every re-run."""

import pytest
from django.urls import reverse

from analysis.models import ClusterMember, DuplicationRun, IdeaCluster, NotSameIdea
from analysis.runs import find_and_store
from tests.analysis.cluster_forms import inline_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def clustered(copied_ideas):
    find_and_store()
    return copied_ideas


def cluster_of(service) -> IdeaCluster:
    return ClusterMember.objects.get(service=service).cluster


@pytest.mark.parametrize(
    "name", ["analysis_ideacluster", "analysis_duplicationrun", "analysis_notsameidea"]
)
def test_curation_pages_open_for_staff(staff, clustered, name):
    assert staff.get(reverse(f"admin:{name}_changelist")).status_code == 200
    obj = {
        "analysis_ideacluster": IdeaCluster,
        "analysis_duplicationrun": DuplicationRun,
        "analysis_notsameidea": None,
    }[name]
    if obj:
        url = reverse(f"admin:{name}_change", args=[obj.objects.first().pk])
        assert staff.get(url).status_code == 200


def test_confirm_action_keeps_a_cluster_through_reruns(staff, clustered, admin_user):
    cluster = cluster_of(clustered["crossing"][0])
    staff.post(
        reverse("admin:analysis_ideacluster_changelist"),
        {"action": "confirm", "_selected_action": [cluster.pk]},
    )
    cluster.refresh_from_db()
    assert cluster.is_confirmed
    assert cluster.confirmed_by == admin_user
    find_and_store()
    assert IdeaCluster.objects.filter(pk=cluster.pk, is_confirmed=True).exists()


def test_moving_a_service_out_is_remembered(staff, clustered):
    crossing = clustered["crossing"]
    cluster = cluster_of(crossing[0])
    members = list(cluster.members.order_by("pk"))
    response = staff.post(
        reverse("admin:analysis_ideacluster_change", args=[cluster.pk]),
        inline_data(cluster, members, delete={crossing[2].pk}),
    )
    assert response.status_code == 302
    cluster.refresh_from_db()
    assert cluster.is_confirmed
    assert set(cluster.members.values_list("service_id", flat=True)) == {
        crossing[0].pk,
        crossing[1].pk,
    }
    assert NotSameIdea.objects.count() == 2
    find_and_store()
    assert not ClusterMember.objects.filter(service=crossing[2], cluster=cluster).exists()


def test_moving_a_service_into_a_cluster_takes_it_from_its_old_one(staff, clustered):
    crossing = cluster_of(clustered["crossing"][0])
    bus_stop = clustered["bus_stop"][0]
    members = list(crossing.members.order_by("pk"))
    response = staff.post(
        reverse("admin:analysis_ideacluster_change", args=[crossing.pk]),
        inline_data(crossing, members, extra=bus_stop),
    )
    assert response.status_code == 302
    assert cluster_of(bus_stop) == crossing
    assert ClusterMember.objects.get(service=bus_stop).origin == "staff"


def test_merge_action_joins_clusters(staff, clustered):
    a, b = cluster_of(clustered["crossing"][0]), cluster_of(clustered["bus_stop"][0])
    staff.post(
        reverse("admin:analysis_ideacluster_changelist"),
        {"action": "merge", "_selected_action": [a.pk, b.pk]},
    )
    assert IdeaCluster.objects.count() == 1
    merged = IdeaCluster.objects.get()
    assert merged.is_confirmed
    assert merged.members.count() == 5
    find_and_store()
    assert IdeaCluster.objects.get(pk=merged.pk).members.count() == 5


def test_marking_two_services_different_separates_them_at_once(staff, clustered):
    first, second = clustered["bus_stop"]
    response = staff.post(
        reverse("admin:analysis_notsameidea_add"),
        {"first": second.pk, "second": first.pk, "note": "다른 사업"},
    )
    assert response.status_code == 302
    decision = NotSameIdea.objects.get()
    assert decision.first_id < decision.second_id
    # The bus-stop cluster held just these two: the less similar one has left it.
    assert ClusterMember.objects.filter(service__in=[first, second]).count() == 1


def test_a_service_cannot_be_different_from_itself(staff, clustered):
    service = clustered["bus_stop"][0]
    response = staff.post(
        reverse("admin:analysis_notsameidea_add"), {"first": service.pk, "second": service.pk}
    )
    assert response.status_code == 200
    assert "서로 다른 두 서비스를 고르세요." in response.content.decode()
    assert not NotSameIdea.objects.exists()


def test_runs_cannot_be_edited(staff, clustered):
    run = DuplicationRun.objects.get()
    assert staff.get(reverse("admin:analysis_duplicationrun_add")).status_code == 403
    response = staff.post(
        reverse("admin:analysis_duplicationrun_change", args=[run.pk]), {"method": "x"}
    )
    assert response.status_code == 403


def test_merge_is_refused_when_staff_said_two_members_differ(staff, clustered):
    a, b = cluster_of(clustered["crossing"][0]), cluster_of(clustered["bus_stop"][0])
    NotSameIdea.record(clustered["crossing"][0], clustered["bus_stop"][0])
    response = staff.post(
        reverse("admin:analysis_ideacluster_changelist"),
        {"action": "merge", "_selected_action": [a.pk, b.pk]},
        follow=True,
    )
    assert "합치지 않았습니다" in response.content.decode()
    assert IdeaCluster.objects.count() == 2


def test_unticking_confirmed_hands_the_cluster_back_to_the_method(staff, clustered):
    cluster = cluster_of(clustered["crossing"][0])
    cluster.is_confirmed = True
    cluster.save()
    members = list(cluster.members.order_by("pk"))
    data = inline_data(cluster, members)  # no is_confirmed: the box is unticked
    assert (
        staff.post(
            reverse("admin:analysis_ideacluster_change", args=[cluster.pk]), data
        ).status_code
        == 302
    )
    cluster.refresh_from_db()
    assert not cluster.is_confirmed
    assert cluster.confirmed_by is None
