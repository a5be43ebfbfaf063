"""find_duplicates: stores clusters with their method and parameters; keeps curation."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analysis.models import ClusterMember, DuplicationRun, IdeaCluster, NotSameIdea
from analysis.runs import find_and_store
from catalog.models import Service

pytestmark = pytest.mark.django_db


def member_sets() -> set[frozenset]:
    return {
        frozenset(ClusterMember.objects.filter(cluster=c).values_list("service_id", flat=True))
        for c in IdeaCluster.objects.all()
    }


def ids(services) -> frozenset:
    return frozenset(s.pk for s in services)


def test_copied_ideas_become_clusters_and_unique_services_do_not(copied_ideas):
    find_and_store()
    assert member_sets() == {ids(copied_ideas["crossing"]), ids(copied_ideas["bus_stop"])}


def test_a_run_records_method_parameters_and_time(copied_ideas):
    call_command("find_duplicates", "--set", "resolution=0.45", verbosity=0)
    run = DuplicationRun.objects.get()
    assert run.status == "succeeded"
    assert run.parameters["resolution"] == 0.45
    assert "TF-IDF" in run.method
    assert run.service_count == 8
    assert run.cluster_count == 2
    assert run.finished_at
    assert run.seconds is not None


def test_running_again_changes_nothing_but_the_run_log(copied_ideas):
    find_and_store()
    before = {
        c.pk: set(c.members.values_list("service_id", flat=True)) for c in IdeaCluster.objects.all()
    }
    find_and_store()
    after = {
        c.pk: set(c.members.values_list("service_id", flat=True)) for c in IdeaCluster.objects.all()
    }
    assert after == before
    assert DuplicationRun.objects.count() == 2


def test_dry_run_writes_nothing(copied_ideas, capsys):
    call_command("find_duplicates", "--dry-run")
    assert "Dry run" in capsys.readouterr().out
    assert not IdeaCluster.objects.exists()
    assert not DuplicationRun.objects.exists()


def test_drafts_are_not_analysed(copied_ideas, add):
    add("47210", "스마트 횡단보도 (초안)", is_published=False)
    find_and_store()
    assert not ClusterMember.objects.filter(service__is_published=False).exists()


def test_confirmed_clusters_keep_their_members_across_runs(copied_ideas):
    find_and_store()
    crossing = ClusterMember.objects.get(service=copied_ideas["crossing"][0]).cluster
    odd_one = copied_ideas["alone"][0]  # staff decide this belongs with the crossings
    ClusterMember.objects.create(cluster=crossing, service=odd_one, origin="staff")
    crossing.is_confirmed = True
    crossing.save()
    find_and_store()
    crossing.refresh_from_db()
    assert set(crossing.members.values_list("service_id", flat=True)) == {
        *ids(copied_ideas["crossing"]),
        odd_one.pk,
    }


def test_not_same_idea_decisions_survive_every_run(copied_ideas):
    first, second = copied_ideas["bus_stop"]
    NotSameIdea.record(first, second)
    find_and_store()
    find_and_store()
    assert ids(copied_ideas["bus_stop"]) not in member_sets()
    placed = dict(
        ClusterMember.objects.filter(service__in=[first, second]).values_list(
            "service_id", "cluster_id"
        )
    )
    assert len(placed) < 2 or len(set(placed.values())) == 2


def test_unknown_or_malformed_parameters_are_refused(copied_ideas):
    with pytest.raises(CommandError, match="Unknown parameter"):
        call_command("find_duplicates", "--set", "nonsense=1")
    with pytest.raises(CommandError, match="not a JSON value"):
        call_command("find_duplicates", "--set", "resolution=abc")
    with pytest.raises(CommandError, match="must be like"):
        call_command("find_duplicates", "--set", 'neighbours="many"')
    assert not DuplicationRun.objects.exists()


def test_an_empty_catalog_runs_cleanly(db):
    result = find_and_store()
    assert result.service_count == 0
    assert not IdeaCluster.objects.exists()
    assert Service.objects.count() == 0


def test_replacing_synthetic_data_removes_its_clusters_and_recounts_the_rest(copied_ideas):
    call_command(
        "generate_synthetic", "--services", "300", "--seed", "2", "--force", stdout=StringIO()
    )
    find_and_store()
    assert ClusterMember.objects.filter(service__plan__is_synthetic=True).exists()
    call_command("generate_synthetic", "--replace", "--force", "--services", "5", stdout=StringIO())
    assert not ClusterMember.objects.filter(service__plan__is_synthetic=True).exists()
    assert not IdeaCluster.objects.filter(members__isnull=True, is_confirmed=False).exists()
    for cluster in IdeaCluster.objects.all():
        published = cluster.members.filter(service__is_published=True)
        assert cluster.service_count == published.count()
