"""Facet counts and result pages of browsing without a search, for any combination of filters.

Browsing by field, province or status asks the same question of every published service: which
facet values does it carry, and where does it fall in each sort order? Answered in SQL
(``ServiceFilter.facet_counts``) that costs 0.3–0.4 s at 100,000 services for every new
combination of values, and there are thousands of combinations. This index keeps, for one
revision of the catalog, a few small integers per published service (facet value codes, plan and
years, the position in each sort order, read from the database so that they follow its collation)
and a sparse service × tag matrix. Counting every facet of any combination is then a handful of
vectorised operations (a few milliseconds at 100,000 services), exact, with OR within a facet
and AND across facets as in SQL.

An index is built once per catalog revision, kept in the process and shared through the default
cache, so that the other workers and machines load it instead of rebuilding it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from scipy import sparse

from catalog import revision
from catalog.models import Category, Municipality, Service, SubCategory, Tag
from catalog.querysets import plain_rows
from config.caches import call_safely

NO_YEAR = -1
UNSHARED = -1  # the revision of an index read while the catalog changed
CACHE_SECONDS = 24 * 3600
BUILD_SECONDS = 60  # how long others wait for a build before trying their own


@dataclass
class Column:
    """One facet as codes into the distinct values it takes; ``""`` stands for no value."""

    values: list[str]
    codes: np.ndarray  # per service, an index into ``values``

    @classmethod
    def of(cls, raw) -> Column:
        values, codes = np.unique(np.array([v or "" for v in raw], dtype=str), return_inverse=True)
        return cls([str(v) for v in values], codes.astype(np.min_scalar_type(len(values))))

    def codes_of(self, wanted: list[str]) -> np.ndarray:
        position = {value: code for code, value in enumerate(self.values)}
        return np.array([position[v] for v in wanted if v and v in position], dtype=np.int64)

    def matching(self, wanted: list[str]) -> np.ndarray:
        chosen = np.zeros(len(self.values), dtype=bool)
        chosen[self.codes_of(wanted)] = True
        return chosen[self.codes]

    def tally(self, counts: np.ndarray) -> dict[str, int]:
        """``{value: count}`` for the values counted at least once."""
        return {
            self.values[code]: int(counts[code])
            for code in np.flatnonzero(counts)
            if self.values[code]
        }

    def count(self, rows: np.ndarray) -> dict[str, int]:
        return self.tally(np.bincount(self.codes[rows], minlength=len(self.values)))


@dataclass
class FacetIndex:
    revision: int
    ids: np.ndarray
    columns: dict[str, Column]
    tags: Column  # the tag slugs; ``tag_matrix`` holds which service carries which
    tag_matrix: sparse.csc_matrix  # services × tags
    plan_ids: np.ndarray
    start_years: np.ndarray  # NO_YEAR where the plan has none
    end_years: np.ndarray
    ranks: dict[str, np.ndarray]  # sort key -> each service's position in that order

    def __len__(self) -> int:
        return len(self.ids)

    # -- filters ---------------------------------------------------------------------------

    def facet_rows(self, facet: str, values: list[str]) -> np.ndarray:
        """The services that carry any of ``values`` in ``facet`` (OR within a facet)."""
        if facet == "tag":
            chosen = self.tag_matrix[:, self.tags.codes_of(values)]
            return np.asarray(chosen.getnnz(axis=1) > 0).ravel()
        return self.columns[facet].matching(values)

    def scope_rows(self, plan: int | None, year_from, year_to) -> np.ndarray:
        """The services that pass the filters that are not facets: the plan and the years."""
        rows = np.ones(len(self), dtype=bool)
        if plan:
            rows &= self.plan_ids == int(plan)
        if year_from is not None:
            year = int(year_from)
            reaches = self.end_years >= year
            open_ended = (self.end_years == NO_YEAR) & (self.start_years >= year)
            rows &= reaches | open_ended
        if year_to is not None:
            rows &= (self.start_years != NO_YEAR) & (self.start_years <= int(year_to))
        return rows

    # -- answers ---------------------------------------------------------------------------

    def count_facets(self, scope: np.ndarray, passes: dict[str, np.ndarray], facets) -> tuple:
        """Each facet's option counts over the rows passing every *other* selected facet, and
        the total passing all of them."""
        options = {}
        for facet in facets:
            rows = scope.copy()
            for other, passing in passes.items():
                if other != facet:
                    rows &= passing
            options[facet] = self._count(facet, rows)
        everything = scope.copy()
        for passing in passes.values():
            everything &= passing
        return options, int(everything.sum()), everything

    def _count(self, facet: str, rows: np.ndarray) -> dict[str, int]:
        if facet == "tag":
            return self.tags.tally(self.tag_matrix.T @ rows.astype(np.int32))
        return self.columns[facet].count(rows)

    def tag_lists(self, labels: dict[str, tuple[int, str]]):
        """A function giving ``{service id: its tags' labels, in label order}`` for the ids this
        index holds (ids it does not hold are left out). ``labels`` maps each tag slug to its
        (rank, label)."""
        by_service = self.tag_matrix.tocsr()
        ranked = [labels.get(slug, (len(labels), slug)) for slug in self.tags.values]
        codes = by_service.indices.tolist()

        def lists(service_ids: list[int]) -> dict[int, list[str]]:
            if not len(self.ids) or not service_ids:
                return {}
            wanted = np.asarray(service_ids, dtype=np.int64)
            positions = np.minimum(np.searchsorted(self.ids, wanted), len(self.ids) - 1)
            held = self.ids[positions] == wanted
            starts, ends = by_service.indptr[positions], by_service.indptr[positions + 1]
            return {
                pk: [label for _, label in sorted(ranked[code] for code in codes[start:end])]
                for pk, start, end in zip(
                    wanted[held].tolist(), starts[held].tolist(), ends[held].tolist(), strict=True
                )
            }

        return lists

    def page_ids(self, rows: np.ndarray, sort: str, start: int, stop: int) -> list[int]:
        """The ids of the matching services from ``start`` to ``stop`` in the ``sort`` order."""
        matching = np.flatnonzero(rows)
        if start >= len(matching):
            return []
        ranks = self.ranks[sort][matching]
        stop = min(stop, len(matching))
        if stop < len(matching):
            nearest = np.argpartition(ranks, stop - 1)[:stop]
            ordered = nearest[np.argsort(ranks[nearest])]
        else:
            ordered = np.argsort(ranks)
        return [int(i) for i in self.ids[matching[ordered[start:stop]]]]


def for_current_revision(
    sorts: dict[str, tuple[str, ...]], number: int | None = None
) -> FacetIndex | None:
    """The index of the catalog as it is now (revision ``number`` when the caller has just read
    it): this process's, the shared cache's, or a new one.

    ``None`` while another process builds it (the caller answers in SQL meanwhile), so that a
    change does not set every worker building the same index at once.
    """
    number = revision.current() if number is None else number
    global _latest
    if _latest is not None and _latest.revision == number:
        return _latest
    key = f"facet-index:{number}"
    index = _cache_call("get", key)
    if index is None:
        if _cache_call("add", f"{key}:building", True, BUILD_SECONDS) is False:
            return None
        index = build(sorts)
        if index.revision == number:
            _cache_call("set", key, index, CACHE_SECONDS)
    _latest = index
    return index


def _cache_call(method: str, *args):
    return call_safely(cache, method, *args, purpose="the facet index")


_latest: FacetIndex | None = None


def clear() -> None:
    """Forget this process's index (tests reuse revision numbers; production never does)."""
    global _latest
    _latest = None


def build(sorts: dict[str, tuple[str, ...]]) -> FacetIndex:
    """Read the published catalog into a new index.

    The rows are read as plain integers and short strings (labels come from the small
    reference tables), and each sort order as the list of ids the database orders, so that
    building takes a fraction of a second at 100,000 services.

    The index is labelled with the revision read before its rows; if the revision moves while
    they are read, it is labelled ``UNSHARED``, so that it serves this request only and is never
    shared as the new one.
    """
    before = revision.current()
    published = Service.objects.published().order_by("id")
    rows = plain_rows(published.values_list(*ROW_FIELDS))
    orders = {
        sort: plain_rows(published.order_by(*fields).values_list("id"))
        for sort, fields in sorts.items()
    }
    links = plain_rows(
        Service.tags.through.objects.filter(service__is_published=True).values_list(
            "service_id", "tag_id"
        )
    )
    labels = {
        "category": dict(Category.objects.values_list("id", "code")),
        "subcategory": dict(SubCategory.objects.values_list("id", "code")),
        "municipality": dict(Municipality.objects.values_list("id", "code")),
        "tag": dict(Tag.objects.values_list("id", "slug")),
    }
    after = revision.current()
    return _assemble(before if before == after else UNSHARED, rows, orders, links, labels)


ROW_FIELDS = (
    "id",
    "category_id",
    "subcategory_id",
    "plan__municipality_id",
    "plan__kind",
    "status",
    "plan_id",
    "plan__start_year",
    "plan__end_year",
)


def _assemble(number, rows, orders, links, labels) -> FacetIndex:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(ROW_FIELDS)
    ids = np.array(columns[0], dtype=np.int64)
    category, subcategory, municipality, kind, status, plans, starts, ends = columns[1:]
    municipality_codes = [labels["municipality"][pk] for pk in municipality]
    facets = {
        "category": Column.of([labels["category"][pk] for pk in category]),
        "subcategory": Column.of([labels["subcategory"].get(pk) for pk in subcategory]),
        "municipality": Column.of(municipality_codes),
        "sido": Column.of([code[:2] for code in municipality_codes]),
        "kind": Column.of(kind),
        "status": Column.of(status),
    }
    ranks = {}
    for sort, ordered in orders.items():
        rank = np.empty(len(ids), dtype=np.int32)
        rank[np.searchsorted(ids, np.array([pk for (pk,) in ordered], dtype=np.int64))] = np.arange(
            len(ordered), dtype=np.int32
        )
        ranks[sort] = rank
    link_array = np.array(links, dtype=np.int64).reshape(-1, 2)
    tags = Column.of([labels["tag"][pk] for pk in link_array[:, 1]])
    matrix = sparse.csc_matrix(
        (
            np.ones(len(link_array), dtype=np.int8),
            (np.searchsorted(ids, link_array[:, 0]), tags.codes),
        ),
        shape=(len(ids), len(tags.values)),
    )
    return FacetIndex(
        revision=number,
        ids=ids,
        columns=facets,
        tags=tags,
        tag_matrix=matrix,
        plan_ids=np.array(plans, dtype=np.int32),
        start_years=_years(starts),
        end_years=_years(ends),
        ranks=ranks,
    )


def _years(values) -> np.ndarray:
    return np.array([NO_YEAR if v is None else v for v in values], dtype=np.int16)


class IndexedResults:
    """The services an index matched, in one sort order, read a page at a time.

    ``Paginator`` slices it; only the rows of the requested page are read from the database.
    """

    def __init__(self, index: FacetIndex, rows: np.ndarray, sort: str, queryset):
        self.index, self.rows, self.sort, self.queryset = index, rows, sort, queryset

    def count(self) -> int:
        return int(self.rows.sum())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Service]:
        ids = self.index.page_ids(self.rows, self.sort, window.start or 0, window.stop)
        found = self.queryset.in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]
