"""Every published service as a row of small integers, for the figures of a whole scope.

The dashboard's figures (field shares, the municipality × field matrix, the duplication rate,
the differentiation index, how ideas spread, similar municipalities) each read every published
service in their scope. Asked of the database one figure at a time, that was a dozen passes over
the same join: 5–8 s at 100,000 services on the first view after any change. This table is that
join read once per catalog revision, one row per published service (its municipality, field,
plan start year and idea), and each figure is a few vectorised operations over it: milliseconds
at 100,000 services. Nothing loops over services in Python; Python arranges the counted rows
(one per field, municipality, year or idea).

Every published service is in the table; a scope (a ``Service`` queryset) selects its rows by id,
read once per distinct scope and revision.
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce

from catalog import revision
from catalog.models import Municipality, Service
from catalog.querysets import plain_rows
from config.caches import call_safely

NO_YEAR = -1
NO_IDEA = -1
CACHE_SECONDS = 24 * 3600
SCOPES_KEPT = 32  # distinct scopes whose rows a table remembers (dashboard filters, exports)
# Pairs of (idea, municipality) are one integer: the idea in the high bits, the place below.
PLACE_BITS = 24


@dataclass
class IdeaTable:
    revision: int
    ids: np.ndarray  # sorted
    places: np.ndarray  # municipality ids
    fields: np.ndarray  # category ids
    years: np.ndarray  # the plan's start year, NO_YEAR without one
    ideas: np.ndarray  # cluster ids, NO_IDEA outside every cluster
    shared: np.ndarray  # whether the row's idea is planned by two or more municipalities
    _scopes: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _municipalities: dict | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def municipalities(self) -> dict[int, Municipality]:
        """Every municipality by id, with its 시·도: read once, for every figure naming them."""
        if self._municipalities is None:
            self._municipalities = Municipality.objects.select_related("parent").in_bulk()
        return self._municipalities

    def everything(self) -> np.ndarray:
        return np.ones(len(self), dtype=bool)

    def rows_in(self, services: QuerySet) -> np.ndarray:
        """Which rows are in ``services`` (a ``Service`` queryset; only published ones count)."""
        ids = services.order_by().values_list("id")
        key = _scope_key(ids)
        if key == _scope_key(Service.objects.published().order_by().values_list("id")):
            return self.everything()
        if key not in self._scopes:
            wanted = np.array(plain_rows(ids), dtype=np.int64).ravel()
            self._scopes[key] = np.isin(self.ids, wanted)
            if len(self._scopes) > SCOPES_KEPT:
                self._scopes.popitem(last=False)
        self._scopes.move_to_end(key)
        return self._scopes[key]


def pair_keys(ideas: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Each (idea, municipality) as one sortable integer, ordered by idea, then municipality."""
    return (ideas.astype(np.int64) << PLACE_BITS) | places.astype(np.int64)


def idea_of_key(keys: np.ndarray) -> np.ndarray:
    return keys >> PLACE_BITS


def place_of_key(keys: np.ndarray) -> np.ndarray:
    return keys & ((1 << PLACE_BITS) - 1)


def adoptions(table: IdeaTable, rows: np.ndarray, dated: bool = False):
    """The distinct (idea, municipality) pairs among ``rows`` of shared ideas, as sorted pair
    keys, with the earliest plan year of each (``NO_YEAR`` when none of its plans has one;
    with ``dated``, only rows with a year count)."""
    chosen = rows & table.shared
    if dated:
        chosen &= table.years != NO_YEAR
    keys = pair_keys(table.ideas[chosen], table.places[chosen])
    # Undated rows sort after dated ones, so each pair's first row holds its earliest year.
    years = table.years[chosen].astype(np.int64)
    undated_last = np.where(years == NO_YEAR, np.iinfo(np.int32).max, years)
    order = np.lexsort((undated_last, keys))
    keys, years = keys[order], years[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return keys[first], years[first]


def current() -> IdeaTable:
    """The table of the catalog as it is now: the one ``pinned`` for this computation, this
    process's, the shared cache's (the analysis worker leaves one there), or a new one."""
    global _latest
    held = _pinned.get()
    if held is not None:
        return held
    number = revision.current()
    if _latest is None or _latest.revision != number:
        key = f"idea-table:{number}"
        table = _cache_call("get", key)
        if table is None:
            table = build(number)
            if table.revision != number:
                return table  # the catalog moved while it was read: serve it, keep nothing
            _cache_call("set", key, table, CACHE_SECONDS)
        _latest = table
    return _latest


def _cache_call(method: str, *args):
    return call_safely(cache, method, *args, purpose="the idea table")


_latest: IdeaTable | None = None
_pinned: ContextVar[IdeaTable | None] = ContextVar("pinned_idea_table", default=None)


@contextmanager
def pinned():
    """Every figure computed inside reads the same table, so that a page's figures describe
    one state of the catalog even if it changes meanwhile (and the revision is read once)."""
    token = _pinned.set(current())
    try:
        yield
    finally:
        _pinned.reset(token)


def clear() -> None:
    """Forget this process's table (tests reuse revision numbers; production never does)."""
    global _latest
    _latest = None


COLUMNS = ("id", "place", "field", "year", "idea")


def build(before: int) -> IdeaTable:
    """Read the published catalog into a new table, labelled with revision ``before`` (read
    just before) or ``-1`` when the revision moved while its rows were read."""
    rows = _fetch(
        Service.objects.published()
        .order_by()  # sorted below: cheaper than asking the database to
        .annotate(
            place=F("plan__municipality_id"),
            field=F("category_id"),
            year=Coalesce("plan__start_year", Value(NO_YEAR)),
            cluster=Coalesce("idea__cluster_id", Value(NO_IDEA)),
        )
        .values_list("id", "place", "field", "year", "cluster")
    )
    after = revision.current()
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    ids, places, fields, years, ideas = (rows[:, column] for column in range(len(COLUMNS)))
    return IdeaTable(
        revision=before if before == after else -1,
        ids=ids,
        places=places.astype(np.int32),
        fields=fields.astype(np.int32),
        years=years.astype(np.int32),
        ideas=ideas,
        shared=_shared(ideas, places),
    )


def _fetch(queryset) -> np.ndarray:
    return np.array(plain_rows(queryset), dtype=np.int64).reshape(-1, len(COLUMNS))


def _shared(ideas: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Per row, whether its idea is planned by two or more municipalities."""
    clustered = ideas != NO_IDEA
    keys = np.unique(pair_keys(ideas[clustered], places[clustered]))
    planners_ideas, planners = np.unique(idea_of_key(keys), return_counts=True)
    shared_ideas = planners_ideas[planners >= 2]
    return clustered & np.isin(ideas, shared_ideas)


def _scope_key(ids: QuerySet) -> tuple:
    """The same for the same scope: its query's SQL and parameters."""
    sql, params = ids.query.sql_with_params()
    return sql, tuple(map(str, params))
