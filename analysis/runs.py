"""Run the duplication method over the catalog and store its clusters, keeping curation.

The method itself (``analysis.duplication``) knows nothing of the database. This module
feeds it the published services, then reconciles its answer with what staff decided:

1. services in a confirmed cluster stay there and are withheld from the method's clusters;
2. two services marked "not the same idea" never share a cluster: the less similar of the
   two leaves the method's cluster;
3. a cluster that no longer spans two municipalities is dropped;
4. unconfirmed clusters of the previous run are replaced; one whose members are unchanged
   keeps its id, so links to it stay valid.

The method is also given what curation taught (``analysis.learning``: the active
``LearnedEquivalence`` entries), so decisions reach services of other municipalities named
alike. Every stored cluster carries why its members are together (``IdeaCluster.explanation``);
the run's parameters record how many learned entries it used and the lexicon's version.

Each run records the catalog revision its clusters describe (``catalog_revision``), so that
``analysis.worker`` can tell when the catalog has moved on since.
"""

import dataclasses
import time
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from analysis import duplication, learning, spread
from analysis.models import ClusterMember, DuplicationRun, IdeaCluster, NotSameIdea
from catalog import revision
from catalog.models import CatalogRevision, Service


@dataclass
class RunResult:
    run: DuplicationRun | None
    service_count: int
    clusters: list[duplication.Cluster]
    kept_confirmed: int
    reused: int


def published_records() -> list[duplication.Record]:
    rows = (
        Service.objects.published()
        .order_by("pk")
        .values_list(
            "pk", "plan__municipality__code", "plan__municipality__name", "name", "description"
        )
    )
    return [
        duplication.Record(
            id=pk,
            municipality_code=code,
            municipality_name=municipality_name,
            name=name,
            description=description,
        )
        for pk, code, municipality_name, name, description in rows.iterator(5000)
    ]


def find_and_store(
    params: duplication.Parameters | None = None, *, dry_run: bool = False
) -> RunResult:
    params = params or duplication.Parameters()
    started = time.monotonic()
    read_revision = revision.current()  # read first: the records read next are at least this new
    records = published_records()
    municipality_of = {record.id: record.municipality_code for record in records}
    equivalences = learning.equivalences()
    recorded = _recorded_parameters(params, equivalences)
    try:
        found = duplication.find_clusters(records, params, equivalences)
    except Exception:
        if not dry_run:
            DuplicationRun.objects.create(
                method=f"{duplication.METHOD} v{duplication.METHOD_VERSION}",
                parameters=recorded,
                service_count=len(records),
                status=DuplicationRun.Status.FAILED,
                finished_at=timezone.now(),
                seconds=round(time.monotonic() - started, 3),
                catalog_revision=read_revision,
            )
        raise
    if dry_run:
        clusters = _respect_curation(found, *_curation(), municipality_of)
        return RunResult(None, len(records), clusters, _confirmed_count(), 0)
    with transaction.atomic():
        # Curation is read (and confirmed clusters locked) inside the transaction, so that a
        # decision staff make while the method runs is never overwritten.
        clusters = _respect_curation(found, *_curation(lock=True), municipality_of)
        run = DuplicationRun.objects.create(
            method=f"{duplication.METHOD} v{duplication.METHOD_VERSION}",
            parameters=recorded,
            service_count=len(records),
        )
        reused = _replace_unconfirmed(run, clusters)
        _explain_confirmed(records, params, equivalences)
        # From here to the commit the revision row is locked: no other change can land.
        unchanged = _locked_revision() == read_revision
        spread.refresh()
        revision.bump()  # labels and the run's date are shown beside the figures
        # The revision the stored clusters describe: the one this run leaves the catalog at
        # (after its own moves above) when nothing else changed while the method ran;
        # otherwise the one it read, so that those changes still wait for the next run.
        run.catalog_revision = revision.current() if unchanged else read_revision
        run.cluster_count = IdeaCluster.objects.count()
        run.status = DuplicationRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.seconds = round(time.monotonic() - started, 3)
        run.save()
    return RunResult(run, len(records), clusters, _confirmed_count(), reused)


def _recorded_parameters(
    params: duplication.Parameters, equivalences: duplication.Equivalences
) -> dict:
    """The method's parameters, with what else the clusters depend on: the lexicon file's
    version and how many learned entries the run used."""
    return {
        **dataclasses.asdict(params),
        "lexicon_version": duplication.load_lexicon().version if params.use_lexicon else "",
        "learned_same": len(equivalences.same),
        "learned_different": len(equivalences.different),
    }


def _explain_confirmed(records, params, equivalences) -> None:
    """Confirmed clusters keep their members; their explanation is brought up to date."""
    members = defaultdict(list)
    for cluster_id, service_id, similarity in ClusterMember.objects.filter(
        cluster__is_confirmed=True
    ).values_list("cluster_id", "service_id", "similarity"):
        members[cluster_id].append((service_id, similarity))
    explained = learning.explain_members(members, records, params, equivalences)
    IdeaCluster.objects.bulk_update(
        [IdeaCluster(pk=pk, explanation=explanation) for pk, explanation in explained.items()],
        ["explanation"],
        batch_size=1000,
    )


def _locked_revision() -> int:
    number = (
        CatalogRevision.objects.select_for_update()
        .filter(pk=revision.SINGLETON)
        .values_list("number", flat=True)
    )
    return next(iter(number), 0)


def _curation(lock: bool = False) -> tuple[set, set[frozenset]]:
    confirmed = IdeaCluster.objects.filter(is_confirmed=True)
    if lock:
        list(confirmed.select_for_update().values_list("pk", flat=True))
    confirmed_ids = set(
        ClusterMember.objects.filter(cluster__in=confirmed).values_list("service_id", flat=True)
    )
    return confirmed_ids, _not_same_pairs()


def _confirmed_count() -> int:
    return IdeaCluster.objects.filter(is_confirmed=True).count()


def _not_same_pairs() -> set[frozenset]:
    return {frozenset(pair) for pair in NotSameIdea.objects.values_list("first", "second")}


def _respect_curation(clusters, confirmed_ids, not_same, municipality_of):
    kept = []
    for cluster in clusters:
        members = [(sid, sim) for sid, sim in cluster.members if sid not in confirmed_ids]
        members = _split_not_same(members, not_same)
        codes = {municipality_of[sid] for sid, _ in members}
        if len(codes) >= 2:
            explanation = cluster.explanation
            if len(members) < cluster.size:
                explanation = learning.with_similarity(explanation, members)
            kept.append(
                dataclasses.replace(
                    cluster, members=members, municipality_codes=codes, explanation=explanation
                )
            )
    return kept


def _split_not_same(members, not_same):
    """Drop the less similar member of each forbidden pair until none remains."""
    members = sorted(members, key=lambda member: (-member[1], member[0]))
    kept: list[tuple] = []
    for sid, sim in members:
        if not any(frozenset((sid, other)) in not_same for other, _ in kept):
            kept.append((sid, sim))
    return kept


def _replace_unconfirmed(run: DuplicationRun, clusters) -> int:
    previous = defaultdict(set)
    for cluster_id, service_id in ClusterMember.objects.filter(
        cluster__is_confirmed=False
    ).values_list("cluster_id", "service_id"):
        previous[cluster_id].add(service_id)
    by_members = {frozenset(ids): cluster_id for cluster_id, ids in previous.items()}

    reused = {}  # cluster id -> method cluster whose members it already has
    fresh = []  # (unsaved IdeaCluster, method cluster)
    for cluster in clusters:
        cluster_id = by_members.get(frozenset(sid for sid, _ in cluster.members))
        if cluster_id is None:
            idea = IdeaCluster(label=cluster.label[:200], run=run, explanation=cluster.explanation)
            fresh.append((idea, cluster))
        else:
            reused[cluster_id] = cluster

    # Old unconfirmed clusters go (with their members) except those reused in place.
    IdeaCluster.objects.filter(is_confirmed=False).exclude(pk__in=reused).delete()
    ClusterMember.objects.filter(cluster_id__in=reused).delete()
    IdeaCluster.objects.bulk_update(
        [
            IdeaCluster(pk=pk, label=cluster.label[:200], run=run, explanation=cluster.explanation)
            for pk, cluster in reused.items()
        ],
        ["label", "run", "explanation"],
        batch_size=1000,
    )
    IdeaCluster.objects.bulk_create([idea for idea, _ in fresh], batch_size=1000)

    members = [
        ClusterMember(cluster_id=cluster_id, service_id=sid, similarity=_unit(sim))
        for cluster_id, cluster in [*reused.items(), *((idea.pk, c) for idea, c in fresh)]
        for sid, sim in cluster.members
    ]
    ClusterMember.objects.bulk_create(members, batch_size=2000)
    return len(reused)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, float(value)))
