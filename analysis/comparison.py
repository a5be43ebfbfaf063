"""The ideas of local governments compared side by side: those two or more of them plan, those
only one of them plans, and how alike their portfolios of ideas are.

Ideas are as in ``figures.similar_municipalities``: a municipality's ideas are its shared
clusters plus each of its published services found in none; Jaccard = common ideas / ideas of
either. Only shared clusters can be common, so every common idea is one of the clusters counted
here, in one query whatever the number of services.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from analysis.figures import idea_counts
from analysis.models import IdeaCluster
from catalog.models import Municipality


def compared_clusters(selected: list[Municipality]) -> QuerySet:
    """The shared clusters any of ``selected`` plans, each with ``compared_count`` (how many
    of them plan it) and ``m<i>_services`` (published services of the i-th), the most
    widely planned first."""
    per_municipality = {
        f"m{index}_services": Count(
            "members", filter=Q(members__service__plan__municipality=municipality)
        )
        for index, municipality in enumerate(selected)
    }
    return (
        IdeaCluster.objects.shared()
        # Filtered before annotating: the counts cover only these published members.
        .filter(
            members__service__is_published=True,
            members__service__plan__municipality__in=selected,
        )
        .annotate(
            compared_count=Count("members__service__plan__municipality", distinct=True),
            **per_municipality,
        )
        .order_by("-compared_count", "-municipality_count", "label", "id")
    )


@dataclass
class ComparedIdea:
    cluster: IdeaCluster
    planners: list[Municipality]


@dataclass
class OwnIdeas:
    """The ideas only ``municipality`` plans among those compared: shared clusters (planned
    elsewhere too) and its published services no other municipality plans at all."""

    municipality: Municipality
    clusters: list[IdeaCluster]
    services_found_nowhere_else: int


@dataclass
class SimilarityRow:
    municipality: Municipality
    jaccards: list[float | None]  # None: neither has any idea


@dataclass
class IdeaComparison:
    shared: list[ComparedIdea]
    own: list[OwnIdeas]
    similarity: list[SimilarityRow]

    @property
    def shared_cluster_ids(self) -> set[int]:
        return {idea.cluster.pk for idea in self.shared}


def planners_of(cluster: IdeaCluster, selected: list[Municipality]) -> list[Municipality]:
    """Which of ``selected`` plan ``cluster`` (annotated by ``compared_clusters``)."""
    return [
        municipality
        for index, municipality in enumerate(selected)
        if getattr(cluster, f"m{index}_services")
    ]


def jaccard(common: int, first_total: int, second_total: int) -> float | None:
    either = first_total + second_total - common
    return common / either if either else None


def similarity_rows(
    selected: list[Municipality], planned: list[set[int]], totals: list[int]
) -> list[SimilarityRow]:
    """Jaccard of every pair of ``selected``; ``planned[i]`` holds the shared clusters the
    i-th plans, ``totals[i]`` its number of ideas (its own services count there, so a
    municipality has all of its ideas in common with itself)."""
    return [
        SimilarityRow(
            first,
            [
                jaccard(
                    totals[row] if row == column else len(planned[row] & planned[column]),
                    totals[row],
                    totals[column],
                )
                for column in range(len(selected))
            ],
        )
        for row, first in enumerate(selected)
    ]


def compare_ideas(selected: list[Municipality]) -> IdeaComparison:
    """Shared and own ideas and the similarity matrix of ``selected``, in the query of
    ``compared_clusters`` and the (cached) ``idea_counts``."""
    clusters = [
        (cluster, planners_of(cluster, selected)) for cluster in compared_clusters(selected)
    ]
    planned = [
        {cluster.pk for cluster, planners in clusters if municipality in planners}
        for municipality in selected
    ]
    counts = idea_counts()
    totals = [counts.get(municipality.pk, 0) for municipality in selected]
    return IdeaComparison(
        shared=[
            ComparedIdea(cluster, planners) for cluster, planners in clusters if len(planners) > 1
        ],
        own=[
            OwnIdeas(
                municipality,
                [cluster for cluster, planners in clusters if planners == [municipality]],
                totals[index] - len(planned[index]),
            )
            for index, municipality in enumerate(selected)
        ],
        similarity=similarity_rows(selected, planned, totals),
    )
