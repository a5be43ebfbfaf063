"""Figures drawn from the stored clusters, over published services only.

An idea is *shared* when its cluster holds published services of two or more
municipalities. Figures over a whole scope are counted on the published catalog's
``idea_table``; those about a few ideas or services are read from the database.
"""

from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet
from scipy import sparse

from analysis import idea_table
from analysis.models import ClusterMember, DuplicationRun, IdeaCluster
from analysis.shares import share
from catalog.models import Municipality, Service


def shared_clusters() -> QuerySet:
    """Clusters whose published members come from at least two municipalities."""
    return IdeaCluster.objects.shared()


def shared_cluster_ids() -> QuerySet:
    """The ids of shared clusters, as an uncorrelated subquery over an indexed column."""
    return shared_clusters().values("pk")


@dataclass
class DuplicationRate:
    shared: int
    total: int

    @property
    def percent(self) -> float:
        return share(self.shared, self.total)


def duplication_rate(services: QuerySet) -> DuplicationRate:
    """Share of ``services`` whose idea appears in two or more municipalities."""
    table = idea_table.current()
    rows = table.rows_in(services)
    return DuplicationRate(int((rows & table.shared).sum()), int(rows.sum()))


def differentiation() -> list[Municipality]:
    """Municipalities with published services, by code, each with ``service_total``,
    ``shared_count``, ``unique_count`` and ``differentiation``: the share (percent) of its
    published services found in no other municipality."""
    table = idea_table.current()
    places, totals = np.unique(table.places, return_counts=True)
    shared = np.bincount(np.searchsorted(places, table.places[table.shared]), minlength=len(places))
    found = table.municipalities()
    rows = []
    for place, total, shared_count in zip(
        places.tolist(), totals.tolist(), shared.tolist(), strict=True
    ):
        row = found[place]
        row.service_total, row.shared_count = total, shared_count
        row.unique_count = total - shared_count
        row.differentiation = share(row.unique_count, total)
        rows.append(row)
    return sorted(rows, key=lambda row: row.code)


def ranked_municipalities() -> list[Municipality]:
    """Every municipality with services, least differentiated first (the cities whose plans
    are most copied)."""
    return sorted(
        differentiation(), key=lambda row: (row.differentiation, -row.service_total, row.code)
    )


MEMBERS_SHOWN = 12


def most_copied(limit: int = 20) -> list[IdeaCluster]:
    """The ideas planned by the most municipalities, each with ``published_members``: its
    first ``MEMBERS_SHOWN`` published members by municipality code (an idea planned everywhere
    has thousands)."""
    ideas = list(
        shared_clusters().order_by("-municipality_count", "-service_count", "label", "pk")[:limit]
    )
    shown = _first_members(idea_table.current(), [idea.pk for idea in ideas])
    members = ClusterMember.objects.filter(
        service_id__in=[pk for pks in shown.values() for pk in pks]
    ).select_related("service__plan__municipality__parent")
    by_service = {member.service_id: member for member in members}
    for idea in ideas:
        idea.published_members = [by_service[pk] for pk in shown.get(idea.pk, [])]
    return ideas


def _first_members(table: idea_table.IdeaTable, ideas: list[int]) -> dict[int, list[int]]:
    """Per idea, the ids of its first ``MEMBERS_SHOWN`` services by municipality code."""
    municipalities = table.municipalities()
    by_code = sorted(municipalities, key=lambda pk: municipalities[pk].code)
    code_rank = np.zeros(max(municipalities, default=0) + 1, dtype=np.int64)
    code_rank[by_code] = np.arange(len(by_code))
    chosen = np.isin(table.ideas, ideas)
    order = np.lexsort((table.ids[chosen], code_rank[table.places[chosen]], table.ideas[chosen]))
    found_ideas, starts, counts = np.unique(
        table.ideas[chosen][order], return_index=True, return_counts=True
    )
    ids = table.ids[chosen][order]
    return {
        idea: ids[start : start + min(count, MEMBERS_SHOWN)].tolist()
        for idea, start, count in zip(
            found_ideas.tolist(), starts.tolist(), counts.tolist(), strict=True
        )
    }


def shared_members() -> QuerySet:
    """Every published member of every shared cluster, for exports (iterate it)."""
    return (
        ClusterMember.objects.filter(cluster__in=shared_cluster_ids(), service__is_published=True)
        .select_related("cluster", "service__plan__municipality__parent")
        .order_by("cluster_id", "-similarity", "service_id")
    )


SAME_IDEA_SHOWN = 50


def same_idea_elsewhere(service: Service) -> list[ClusterMember]:
    """Members of the service's cluster planned by other municipalities (the first
    ``SAME_IDEA_SHOWN``; an idea copied everywhere has hundreds)."""
    return list(
        ClusterMember.objects.filter(cluster__members__service=service, service__is_published=True)
        .exclude(service__plan__municipality=service.plan.municipality_id)
        .select_related("service__plan__municipality__parent", "cluster")
        .order_by("service__plan__municipality__code", "service__name")[:SAME_IDEA_SHOWN]
    )


@dataclass
class Similarity:
    municipality: Municipality
    common: int
    jaccard: float  # 0–1


def similar_municipalities(municipality: Municipality, limit: int = 5) -> list[Similarity]:
    """Municipalities whose portfolios share the most ideas with this one (Jaccard).

    A municipality's ideas are its shared clusters plus each of its services found nowhere
    else; Jaccard = common ideas / ideas of either.
    """
    table = idea_table.current()
    keys, _years = idea_table.adoptions(table, table.everything())
    places = idea_table.place_of_key(keys)
    ideas = idea_table.idea_of_key(keys)
    mine = ideas[places == municipality.pk]
    others = places[np.isin(ideas, mine) & (places != municipality.pk)]
    if not len(others):
        return []
    other_places, common = np.unique(others, return_counts=True)
    counts = idea_counts()
    found = table.municipalities()
    results = [
        Similarity(found[other], shared, jaccard(shared, counts[municipality.pk], counts[other]))
        for other, shared in zip(other_places.tolist(), common.tolist(), strict=True)
    ]
    results.sort(key=lambda s: (-s.jaccard, -s.common, s.municipality.code))
    return results[:limit]


def jaccard(common: int, ideas_of_one: int, ideas_of_other: int) -> float:
    """Common ideas / ideas of either municipality."""
    return common / (ideas_of_one + ideas_of_other - common)


# Below this many published services, a municipality is left out of the nationwide pairs: two
# one-service cities planning the same idea would be identical and top the list.
PAIR_MINIMUM_SERVICES = 5
PAIRS_SHOWN = 20


@dataclass
class SimilarPair:
    first: Municipality
    second: Municipality
    common: int
    jaccard: float  # 0–1


def similar_pairs(limit: int = PAIRS_SHOWN) -> list[SimilarPair]:
    """The pairs of municipalities (each with ``PAIR_MINIMUM_SERVICES`` or more published
    services) whose portfolios share the most ideas, by the Jaccard index of
    ``similar_municipalities``.

    The shared ideas of every pair are one sparse product: ideas × municipalities, transposed,
    times itself.
    """
    table = idea_table.current()
    places, services = np.unique(table.places, return_counts=True)
    large = places[services >= PAIR_MINIMUM_SERVICES]
    keys, _years = idea_table.adoptions(table, np.isin(table.places, large))
    ideas, idea_rows = np.unique(idea_table.idea_of_key(keys), return_inverse=True)
    planners = sparse.csr_matrix(
        (
            np.ones(len(keys), dtype=np.int32),
            (idea_rows, np.searchsorted(large, idea_table.place_of_key(keys))),
        ),
        shape=(len(ideas), len(large)),
    )
    common = sparse.triu(planners.T @ planners, k=1).tocoo()
    counts = idea_counts()
    sizes = np.array([counts[place] for place in large.tolist()], dtype=np.int64)
    indices = common.data / (sizes[common.row] + sizes[common.col] - common.data)
    if len(indices) > limit:
        # Ties at the limit are ordered by code below, so every tied pair is a candidate.
        candidates = indices >= np.sort(indices)[-limit]
        common.row, common.col, common.data, indices = (
            common.row[candidates],
            common.col[candidates],
            common.data[candidates],
            indices[candidates],
        )
    firsts, seconds = large[common.row], large[common.col]
    found = table.municipalities()
    results = [
        SimilarPair(found[a], found[b], shared, index)
        for a, b, shared, index in zip(
            firsts.tolist(), seconds.tolist(), common.data.tolist(), indices.tolist(), strict=True
        )
    ]
    results.sort(key=lambda p: (-p.jaccard, -p.common, p.first.code, p.second.code))
    return results[:limit]


def idea_counts() -> Counter:
    """Per municipality id: distinct shared ideas + published services in none (the size of
    its portfolio of ideas); 0 for a municipality without published services."""
    table = idea_table.current()
    keys, _years = idea_table.adoptions(table, table.everything())
    # One entry per shared idea a municipality plans, and one per service in none.
    entries = np.concatenate([idea_table.place_of_key(keys), table.places[~table.shared]])
    places, counts = np.unique(entries, return_counts=True)
    return Counter(dict(zip(places.tolist(), counts.tolist(), strict=True)))


def latest_run() -> DuplicationRun | None:
    return DuplicationRun.objects.filter(status=DuplicationRun.Status.SUCCEEDED).first()
