"""Figures drawn from the stored clusters, over published services only.

An idea is *shared* when its cluster holds published services of two or more
municipalities. Every figure here is computed by the database.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet

from analysis.models import ClusterMember, DuplicationRun, IdeaCluster
from analysis.shares import share
from catalog import revision
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
    services = services.order_by()
    shared = services.filter(idea__cluster__in=shared_cluster_ids()).count()
    return DuplicationRate(shared, services.count())


def differentiation(municipalities: QuerySet | None = None) -> QuerySet:
    """Municipalities with ``service_total``, ``unique_count`` and ``differentiation``.

    The differentiation index is the share (percent) of a municipality's published services
    found in no other municipality. Municipalities without published services are left out.
    """
    published = Q(plans__services__is_published=True)
    in_shared = Q(plans__services__idea__cluster__in=shared_cluster_ids())
    queryset = municipalities if municipalities is not None else Municipality.objects.all()
    return (
        queryset.annotate(
            service_total=Count("plans__services", filter=published),
            shared_count=Count("plans__services", filter=published & in_shared),
        )
        .filter(service_total__gt=0)
        .select_related("parent")
    )


def with_index(rows) -> list:
    """Attach ``unique_count`` and ``differentiation`` (percent) to ``differentiation()`` rows."""
    rows = list(rows)
    for row in rows:
        row.unique_count = row.service_total - row.shared_count
        row.differentiation = share(row.unique_count, row.service_total)
    return rows


def ranked_municipalities() -> list[Municipality]:
    """Every municipality with services, least differentiated first (the cities whose plans
    are most copied); counted once per revision of the data."""

    def rank() -> list[Municipality]:
        rows = with_index(differentiation())
        return sorted(rows, key=lambda row: (row.differentiation, -row.service_total, row.code))

    return revision.cached("ranked-municipalities", "", rank)


MEMBERS_SHOWN = 12


def most_copied(limit: int = 20) -> QuerySet:
    """The ideas planned by the most municipalities, each with its first ``MEMBERS_SHOWN``
    published members loaded (an idea planned everywhere has thousands)."""
    members = (
        ClusterMember.objects.filter(service__is_published=True)
        .select_related("service__plan__municipality__parent")
        .order_by("service__plan__municipality__code", "service_id")
    )
    return (
        shared_clusters()
        .order_by("-municipality_count", "-service_count", "label", "pk")
        .prefetch_related(
            Prefetch("members", queryset=members[:MEMBERS_SHOWN], to_attr="published_members")
        )[:limit]
    )


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
    shared = shared_cluster_ids()
    mine = ClusterMember.objects.filter(
        cluster__in=shared,
        service__is_published=True,
        service__plan__municipality=municipality,
    ).values("cluster_id")
    common = dict(
        ClusterMember.objects.filter(cluster__in=mine, service__is_published=True)
        .exclude(service__plan__municipality=municipality)
        .values("service__plan__municipality")
        .annotate(n=Count("cluster", distinct=True))
        .values_list("service__plan__municipality", "n")
    )
    if not common:
        return []
    ideas = idea_counts()
    results = [
        Similarity(
            other,
            common[other.pk],
            jaccard(common[other.pk], ideas[municipality.pk], ideas[other.pk]),
        )
        for other in Municipality.objects.filter(pk__in=common).select_related("parent")
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
    ``similar_municipalities``; counted once per revision of the data."""

    def rank() -> list[SimilarPair]:
        pairs = _pairs_sharing_ideas()
        # Every eligible municipality, so the queries do not depend on whether pairs exist.
        names = _large_enough().select_related("parent").in_bulk()
        ideas = idea_counts()
        results = [
            SimilarPair(names[a], names[b], common, jaccard(common, ideas[a], ideas[b]))
            for a, b, common in pairs
        ]
        results.sort(key=lambda p: (-p.jaccard, -p.common, p.first.code, p.second.code))
        return results[:limit]

    return revision.cached("similar-pairs", str(limit), rank)


def _pairs_sharing_ideas() -> list[tuple[int, int, int]]:
    """(municipality, other municipality, shared ideas) for every pair of large enough
    municipalities sharing an idea, each pair once.

    The ideas' members are first reduced to distinct (idea, municipality) rows, then those are
    joined to themselves: a join of the members themselves would pair every service of an idea
    with every other (minutes at 100,000 services).
    """
    memberships = (
        ClusterMember.objects.filter(
            cluster__in=shared_cluster_ids(),
            service__is_published=True,
            service__plan__municipality__in=_large_enough().values("pk"),
        )
        .annotate(idea=F("cluster_id"), place=F("service__plan__municipality_id"))
        .values("idea", "place")
        .distinct()
        .order_by()
    )
    sql, params = memberships.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH memberships AS ({sql}) "
            "SELECT a.place, b.place, COUNT(*) FROM memberships a "
            "JOIN memberships b ON a.idea = b.idea AND a.place < b.place "
            "GROUP BY a.place, b.place",
            params,
        )
        return cursor.fetchall()


def _large_enough() -> QuerySet:
    """Municipalities with ``PAIR_MINIMUM_SERVICES`` or more published services."""
    return Municipality.objects.filter(
        pk__in=Municipality.objects.annotate(
            published=Count("plans__services", filter=Q(plans__services__is_published=True))
        )
        .filter(published__gte=PAIR_MINIMUM_SERVICES)
        .values("pk")
    )


def idea_counts() -> dict[int, int]:
    """Per municipality: distinct shared ideas + published services in none (the size of
    its portfolio of ideas); counted once per revision of the data."""

    def count() -> dict[int, int]:
        published = Q(plans__services__is_published=True)
        in_shared = Q(plans__services__idea__cluster__in=shared_cluster_ids())
        rows = Municipality.objects.annotate(
            clusters=Count(
                "plans__services__idea__cluster", filter=published & in_shared, distinct=True
            ),
            alone=Count("plans__services", filter=published & ~in_shared, distinct=True),
        ).values_list("pk", "clusters", "alone")
        return {pk: clusters + alone for pk, clusters, alone in rows}

    return revision.cached("idea-counts", "", count)


def latest_run() -> DuplicationRun | None:
    return DuplicationRun.objects.filter(status=DuplicationRun.Status.SUCCEEDED).first()
