"""An idea's page: who planned it and when, in which 시·도 and fields, and why its services are
one idea.

An idea is a shared cluster (``IdeaCluster.objects.shared()``: planned by two or more
municipalities); only its published services count. Every number is counted by the database;
Python arranges the counted rows.
"""

from dataclasses import dataclass
from itertools import groupby

from django.db.models import QuerySet

from analysis import learning
from analysis.models import IdeaCluster
from catalog import charts
from catalog.models import Category, Municipality, Service

# An idea planned everywhere has thousands of services: the page lists the earliest ones,
# the CSV every one.
SERVICES_SHOWN = 1000

YearCounts = dict[int | None, int]


def services_of(cluster: IdeaCluster) -> QuerySet:
    return Service.objects.published().filter(idea__cluster=cluster)


def in_year_order(services: QuerySet) -> QuerySet:
    """``services`` by their plan's year, each with its plan, municipality, field and its
    membership of the idea (how similar it is to the others)."""
    return services.by_plan_year().select_related("idea")


def year_counts(services: QuerySet) -> YearCounts:
    """{plan's first year: services}, in year order; ``None`` (plans without a year) last."""
    return dict(services.counts_by_plan_year())


def first_year(counts: YearCounts) -> int | None:
    """The year the idea was first planned (``None`` when no plan has a year)."""
    return next((year for year in counts if year is not None), None)


def is_first_adopter(year: int | None, first: int | None) -> bool:
    """Whether a service of a plan starting in ``year`` is among the first to plan the idea:
    every service of the first year is (several municipalities may start the same year)."""
    return year is not None and year == first


def timeline(counts: YearCounts) -> charts.BarsWithCumulative:
    """Services planned each year and in all until then, every year from the first to the
    last (a year without any at 0); services of plans without a year are left out."""
    years = [year for year in counts if year is not None]
    if not years:
        return charts.bars_with_cumulative([])
    return charts.bars_with_cumulative(
        [(str(year), counts.get(year, 0)) for year in range(years[0], years[-1] + 1)]
    )


@dataclass
class YearGroup:
    """The services of plans starting in ``year`` (``None``: plans without a year)."""

    year: int | None
    service_count: int
    services: list[Service]
    first_adopters: bool


def year_groups(services: list[Service], counts: YearCounts) -> list[YearGroup]:
    """``services`` (in ``by_plan_year`` order) by year, each group counted in ``counts``."""
    first = first_year(counts)
    return [
        YearGroup(year, counts.get(year, 0), list(group), is_first_adopter(year, first))
        for year, group in groupby(services, key=lambda service: service.plan.start_year)
    ]


@dataclass
class SidoGroup:
    sido: Municipality
    municipality_count: int
    service_count: int
    municipalities: list[Municipality]


def sido_groups(services: QuerySet) -> list[SidoGroup]:
    """The municipalities planning ``services`` (each with ``service_count``) under their
    시·도, the 시·도 planned by the most municipalities first."""
    sidos: dict[str, Municipality] = {}
    members: dict[str, list[Municipality]] = {}
    for municipality in Municipality.objects.planning(services):
        sido = municipality.parent or municipality
        sidos.setdefault(sido.code, sido)
        members.setdefault(sido.code, []).append(municipality)
    return [
        SidoGroup(
            sidos[row["sido_code"]],
            row["municipality_count"],
            row["service_count"],
            members[row["sido_code"]],
        )
        for row in services.counts_by_sido()
        if row["sido_code"] in sidos
    ]


def fields_of(services: QuerySet) -> QuerySet:
    """The fields ``services`` were filed under, each with ``service_count`` and ``share``
    (percent), the most used first: municipalities often file one idea differently."""
    return (
        Category.objects.with_shares(services)
        .filter(service_count__gt=0)
        .order_by("-service_count", "order")
    )


@dataclass
class IdeaPage:
    cluster: IdeaCluster
    year_groups: list[YearGroup]
    first_year: int | None
    timeline: charts.BarsWithCumulative
    unknown_year_count: int
    sido_groups: list[SidoGroup]
    fields: list[Category]
    reasons: list[tuple[str, str]]

    @property
    def services_not_shown(self) -> int:
        return max(self.cluster.service_count - SERVICES_SHOWN, 0)


def page_of(cluster: IdeaCluster) -> IdeaPage:
    """Everything the page of ``cluster`` shows, in five queries however many services."""
    services = services_of(cluster)
    counts = year_counts(services)
    listed = list(in_year_order(services)[:SERVICES_SHOWN])
    return IdeaPage(
        cluster=cluster,
        year_groups=year_groups(listed, counts),
        first_year=first_year(counts),
        timeline=timeline(counts),
        unknown_year_count=counts.get(None, 0),
        sido_groups=sido_groups(services),
        fields=list(fields_of(services)),
        reasons=learning.reason_rows(cluster.explanation),
    )
