"""How ideas spread among local governments, for the dashboard's scope.

An idea is a shared cluster (planned by two or more municipalities in the whole catalog). A
municipality *adopts* an idea in the earliest plan year of its services in it; services of
plans without a year date no adoption. Everything is counted over the published catalog's
``idea_table`` with vectorised operations; Python arranges the counted rows (one per idea or per
year, never one per service).
"""

from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet

from analysis import idea_table, ideas
from analysis.idea_table import NO_YEAR, IdeaTable, adoptions, idea_of_key, pair_keys, place_of_key
from analysis.models import IdeaCluster
from analysis.shares import share
from catalog import charts

# Speed is the years from the first to this adopter; ideas with fewer adopters have none.
SPEED_ADOPTER = 5
# Stands for "no year" where the earliest year is taken: later than every real year.
NEVER = np.iinfo(np.int32).max


@dataclass(frozen=True)
class Spread:
    """Per shared idea planned in a scope: its municipalities there and its first year there
    (``NEVER`` when none of its plans has a year)."""

    ideas: np.ndarray
    adopters: np.ndarray
    first_years: np.ndarray


def spread(table: IdeaTable, rows: np.ndarray) -> Spread:
    keys, years = adoptions(table, rows)
    ideas_of_pairs = idea_of_key(keys)
    unique, starts, adopters = np.unique(ideas_of_pairs, return_index=True, return_counts=True)
    dated = np.where(years == NO_YEAR, NEVER, years)
    first = np.minimum.reduceat(dated, starts) if len(starts) else dated[:0]
    return Spread(unique, adopters, first)


def by_spread(services: QuerySet, limit: int | None = None) -> list[IdeaCluster]:
    """Shared ideas planned in ``services``, each with ``adopters`` (municipalities planning it
    among ``services``) and ``first_year``, the most widely planned first."""
    table = idea_table.current()
    found = spread(table, table.rows_in(services))
    order = np.lexsort((found.first_years, -found.adopters))
    if limit is not None and len(order) > limit:
        # Ties at the limit are ordered by label below, so every tied idea is a candidate.
        last = order[limit - 1]
        adopters, first = found.adopters[last], found.first_years[last]
        ahead = (found.adopters > adopters) | (
            (found.adopters == adopters) & (found.first_years <= first)
        )
        order = order[ahead[order]]
    rows = _clusters(
        found.ideas[order],
        adopters=found.adopters[order],
        first_year=_years_or_none(found.first_years[order]),
    )
    rows.sort(
        key=lambda idea: (
            -idea.adopters,
            idea.first_year is None,
            idea.first_year or 0,
            idea.label,
            idea.pk,
        )
    )
    return rows[:limit]


def by_speed(services: QuerySet, limit: int | None = None) -> list[IdeaCluster]:
    """Ideas with at least ``SPEED_ADOPTER`` dated adopters in ``services``, each with
    ``adopters``, ``first_year``, ``speed_year`` (the year of that adopter) and
    ``years_to_speed_adopter``, fastest first."""
    table = idea_table.current()
    rows = table.rows_in(services)
    keys, years = adoptions(table, rows, dated=True)
    order = np.lexsort((place_of_key(keys), years, idea_of_key(keys)))
    ideas_in_order, years_in_order = idea_of_key(keys)[order], years[order]
    unique, starts, counts = np.unique(ideas_in_order, return_index=True, return_counts=True)
    fast = counts >= SPEED_ADOPTER
    fast_ideas = unique[fast]
    first_years = years_in_order[starts[fast]]
    speed_years = years_in_order[starts[fast] + SPEED_ADOPTER - 1]
    found = spread(table, rows)
    adopters = found.adopters[np.searchsorted(found.ideas, fast_ideas)]
    years_to = speed_years - first_years
    chosen = np.lexsort((fast_ideas, -adopters, years_to))[:limit]
    return _clusters(
        fast_ideas[chosen],
        adopters=adopters[chosen],
        first_year=first_years[chosen].tolist(),
        speed_year=speed_years[chosen].tolist(),
        years_to_speed_adopter=years_to[chosen].tolist(),
    )


def _clusters(pks: np.ndarray, **values) -> list[IdeaCluster]:
    """The clusters ``pks``, in that order, each given its entry of every list in ``values``."""
    found = IdeaCluster.objects.in_bulk(pks.tolist())
    rows = []
    for position, pk in enumerate(pks.tolist()):
        cluster = found[pk]
        for name, column in values.items():
            value = column[position]
            setattr(cluster, name, value.item() if isinstance(value, np.generic) else value)
        rows.append(cluster)
    return rows


def _years_or_none(years: np.ndarray) -> list[int | None]:
    return [None if year == NEVER else year for year in years.tolist()]


def new_ideas_per_year(services: QuerySet) -> charts.BarsWithCumulative:
    """Shared ideas first planned (within ``services``) each year, and in all until then."""
    table = idea_table.current()
    first_years = spread(table, table.rows_in(services)).first_years
    years, counts = np.unique(first_years[first_years != NEVER], return_counts=True)
    return ideas.timeline(dict(zip(years.tolist(), counts.tolist(), strict=True)))


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
    share it, and its second year.
    """
    table = idea_table.current()
    chosen = table.rows_in(services) & (table.years != NO_YEAR)
    row_years = table.years[chosen]
    copied = np.zeros(len(row_years), dtype=bool)
    shared = table.shared[chosen]
    if shared.any():
        earlier_elsewhere = _earliest_elsewhere(
            table, pair_keys(table.ideas[chosen][shared], table.places[chosen][shared])
        )
        copied[shared] = earlier_elsewhere < row_years[shared]
    years, position = np.unique(row_years, return_inverse=True)
    totals = np.bincount(position, minlength=len(years))
    copied_counts = np.bincount(position, weights=copied, minlength=len(years)).astype(int)
    return [
        CopiedShare(year, total, copied_count)
        for year, total, copied_count in zip(
            years.tolist(), totals.tolist(), copied_counts.tolist(), strict=True
        )
    ]


def _earliest_elsewhere(table: IdeaTable, wanted: np.ndarray) -> np.ndarray:
    """For each (idea, municipality) pair key in ``wanted`` (all dated adoptions of the whole
    catalog), the earliest year another municipality planned the idea (``NEVER`` if none)."""
    keys, years = adoptions(table, table.everything(), dated=True)
    ideas_of_pairs = idea_of_key(keys)
    unique, starts = np.unique(ideas_of_pairs, return_index=True)
    group = np.searchsorted(unique, ideas_of_pairs)
    first = np.minimum.reduceat(years, starts)
    at_first = years == first[group]
    first_places = np.add.reduceat(at_first.astype(np.int64), starts)
    second = np.minimum.reduceat(np.where(at_first, NEVER, years), starts)
    own = years[np.searchsorted(keys, wanted)]
    idea = np.searchsorted(unique, idea_of_key(wanted))
    alone_first = (own == first[idea]) & (first_places[idea] == 1)
    return np.where(alone_first, second[idea], first[idea])


def copied_share_chart(series: list[CopiedShare]) -> charts.BarsWithCumulative:
    return charts.percent_bars([(str(row.year), row.percent) for row in series])
