"""How ideas spread among local governments, for the dashboard's scope.

An idea is a shared cluster (planned by two or more municipalities in the whole catalog). A
municipality *adopts* an idea in the earliest plan year of its services in it; services of
plans without a year date no adoption. Every count is made by the database; Python only
arranges the counted rows (one per idea or per year, never one per service).
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber

from analysis import charts, ideas
from analysis.figures import shared_cluster_ids
from analysis.models import ClusterMember, IdeaCluster
from analysis.shares import share

# Speed is the years from the first to this adopter; ideas with fewer adopters have none.
SPEED_ADOPTER = 5


def by_spread(services: QuerySet) -> QuerySet:
    """Shared ideas planned in ``services``, each with ``adopters`` (municipalities planning it
    among ``services``) and ``first_year``, the most widely planned first."""
    in_scope = Q(members__service__in=services.order_by().values("pk"))
    return (
        IdeaCluster.objects.shared()
        .annotate(
            adopters=Count("members__service__plan__municipality", filter=in_scope, distinct=True),
            first_year=Min("members__service__plan__start_year", filter=in_scope),
        )
        .filter(adopters__gt=0)
        .order_by("-adopters", "first_year", "label", "pk")
    )


def _adoptions(services: QuerySet) -> QuerySet:
    """(idea, municipality) rows of shared ideas with ``year``: the municipality's adoption,
    numbered ``order`` within the idea from the earliest."""
    return (
        ClusterMember.objects.filter(
            service__in=services.order_by().values("pk"),
            cluster__in=shared_cluster_ids(),
            service__plan__start_year__isnull=False,
        )
        .order_by()  # the model's ordering would split the groups
        .values("cluster_id", "service__plan__municipality_id")
        .annotate(year=Min("service__plan__start_year"))
        .annotate(
            order=Window(
                RowNumber(),
                partition_by=F("cluster_id"),
                order_by=[F("year").asc(), F("service__plan__municipality_id").asc()],
            )
        )
    )


def by_speed(services: QuerySet) -> list[IdeaCluster]:
    """Ideas with at least ``SPEED_ADOPTER`` dated adopters in ``services``, each with
    ``speed_year`` (the year of that adopter) and ``years_to_speed_adopter``, fastest first."""
    speed_years = dict(
        _adoptions(services).filter(order=SPEED_ADOPTER).values_list("cluster_id", "year")
    )
    rows = list(by_spread(services).filter(pk__in=speed_years))
    for idea in rows:
        idea.speed_year = speed_years[idea.pk]
        idea.years_to_speed_adopter = idea.speed_year - idea.first_year
    return sorted(rows, key=lambda idea: (idea.years_to_speed_adopter, -idea.adopters, idea.pk))


def new_ideas_per_year(services: QuerySet) -> charts.BarsWithCumulative:
    """Shared ideas first planned (within ``services``) each year, and in all until then."""
    first_year = (
        ClusterMember.objects.filter(
            cluster=OuterRef("pk"), service__in=services.order_by().values("pk")
        )
        .order_by()
        .values("cluster")
        .annotate(year=Min("service__plan__start_year"))
        .values("year")
    )
    counts = (
        IdeaCluster.objects.shared()
        .annotate(first_year=Subquery(first_year))
        .filter(first_year__isnull=False)
        .order_by()
        .values_list("first_year")
        .annotate(n=Count("pk"))
        .order_by("first_year")
    )
    return ideas.timeline(dict(counts))


@dataclass(frozen=True)
class CopiedShare:
    """The services of plans starting in ``year``, and those whose idea another municipality
    had already planned in an earlier year."""

    year: int
    service_count: int
    copied_count: int

    @property
    def percent(self) -> float:
        return share(self.copied_count, self.service_count)


def copied_share_per_year(services: QuerySet) -> list[CopiedShare]:
    """The issue paper's critique as a series: each plan year's share of ``services`` whose
    idea was planned earlier elsewhere. "Earlier elsewhere" looks at every published service
    of the catalog, whatever the scope: an idea copied from outside the scope is copied."""
    planned_earlier_elsewhere = Exists(
        ClusterMember.objects.filter(
            cluster=OuterRef("idea__cluster"),
            service__is_published=True,
            service__plan__start_year__lt=OuterRef("plan__start_year"),
        ).exclude(service__plan__municipality=OuterRef("plan__municipality"))
    )
    rows = (
        services.filter(plan__start_year__isnull=False)
        .alias(copied=planned_earlier_elsewhere)
        .order_by()
        .values_list("plan__start_year")
        .annotate(total=Count("pk"), copied_total=Count("pk", filter=Q(copied=True)))
        .order_by("plan__start_year")
    )
    return [CopiedShare(year, total, copied) for year, total, copied in rows]


def copied_share_chart(series: list[CopiedShare]) -> charts.BarsWithCumulative:
    return charts.percent_bars([(str(row.year), row.percent) for row in series])
