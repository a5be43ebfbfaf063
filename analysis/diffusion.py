"""How ideas spread among local governments, for the dashboard's scope.

An idea is a shared cluster (planned by two or more municipalities in the whole catalog). A
municipality *adopts* an idea in the earliest plan year of its services in it; services of
plans without a year date no adoption. Every count is made by the database; Python only
arranges the counted rows (one per idea or per year, never one per service).
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery, Window
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
    of the catalog, whatever the scope: an idea copied from outside the scope is copied.

    A service of municipality *m* in year *y* was planned earlier elsewhere when another
    municipality's earliest year in the idea is before *y*. That earliest year among the
    others is the idea's first year, unless *m* alone holds the first year, in which case it is
    the idea's second year. So each idea needs only its first year, how many municipalities
    share it, and its second year: one pass over the members, not one per service.
    """
    scope = (
        services.filter(plan__start_year__isnull=False)
        .annotate(year=F("plan__start_year"), place=F("plan__municipality_id"))
        .values("id", "year", "place")
        .order_by()
    )
    earliest = (
        ClusterMember.objects.filter(
            service__is_published=True, service__plan__start_year__isnull=False
        )
        .values(idea=F("cluster_id"), place=F("service__plan__municipality_id"))
        .annotate(year=Min("service__plan__start_year"))
        .order_by()
    )
    scope_sql, scope_params = scope.query.sql_with_params()
    earliest_sql, earliest_params = earliest.query.sql_with_params()
    members = connection.ops.quote_name(ClusterMember._meta.db_table)
    sql = f"""
        WITH scope AS ({scope_sql}),
        earliest AS ({earliest_sql}),
        firsts AS (SELECT idea, MIN(year) AS first_year FROM earliest GROUP BY idea),
        ideas AS (
            SELECT e.idea, f.first_year,
                SUM(CASE WHEN e.year = f.first_year THEN 1 ELSE 0 END) AS first_places,
                MIN(CASE WHEN e.year > f.first_year THEN e.year END) AS second_year
            FROM earliest e JOIN firsts f ON f.idea = e.idea
            GROUP BY e.idea, f.first_year
        )
        SELECT s.year, COUNT(*), SUM(CASE WHEN (
            CASE WHEN own.year = i.first_year AND i.first_places = 1
                THEN i.second_year ELSE i.first_year END
        ) < s.year THEN 1 ELSE 0 END)
        FROM scope s
        LEFT JOIN {members} m ON m.service_id = s.id
        LEFT JOIN earliest own ON own.idea = m.cluster_id AND own.place = s.place
        LEFT JOIN ideas i ON i.idea = m.cluster_id
        GROUP BY s.year
        ORDER BY s.year
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, (*scope_params, *earliest_params))
        rows = cursor.fetchall()
    return [CopiedShare(year, total, copied or 0) for year, total, copied in rows]


def copied_share_chart(series: list[CopiedShare]) -> charts.BarsWithCumulative:
    return charts.percent_bars([(str(row.year), row.percent) for row in series])
