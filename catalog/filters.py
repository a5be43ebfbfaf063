"""The filters of the browse page and of the exports, which always agree.

Facets are multi-select: values within one facet are OR-ed, facets are AND-ed. Each facet's
option counts apply every selected filter except the facet's own (see ``facet_counts``), the
usual faceted-search behaviour: choosing 교통 does not hide the other fields' counts.
"""

import json
from dataclasses import dataclass

import django_filters
import numpy as np
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Substr
from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from catalog import revision, search
from catalog.facet_index import FacetIndex
from catalog.models import (
    EARLIEST_PLAN_YEAR,
    LARGEST_ID,
    LATEST_PLAN_YEAR,
    Category,
    Municipality,
    PlanKind,
    Service,
    ServiceStatus,
    SubCategory,
    Tag,
)

MAX_QUERY_LENGTH = 200
SORTS = {
    "relevance": ("-relevance", "name", "id"),
    "name": ("name", "id"),
    "municipality": ("plan__municipality__code", "name", "id"),
    "newest": ("-created_at", "-id"),
}
# The orders that do not depend on a search, which the facet index keeps.
UNSEARCHED_SORTS = {key: fields for key, fields in SORTS.items() if key != "relevance"}


def choose_sort(requested: str | None, has_query: bool) -> str:
    """A whitelisted sort key; relevance only makes sense (and is the default) with a query."""
    if requested in SORTS and (requested != "relevance" or has_query):
        return requested
    return "relevance" if has_query else "name"


PAGE_SIZES = (20, 50, 100)
MAX_MUNICIPALITIES = 50  # selected at once; more are ignored
DEFAULT_PAGE_SIZE = 20


@dataclass
class FacetCounts:
    options: dict[str, dict[str, int]]  # facet -> {option value: matching services}
    total: int  # services passing every filter


class ServiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("검색어"), method="filter_query", max_length=MAX_QUERY_LENGTH
    )
    category = django_filters.MultipleChoiceFilter(
        label=_("분야"), method="filter_facet", choices=[]
    )
    subcategory = django_filters.MultipleChoiceFilter(
        label=_("세부 분야"), method="filter_facet", choices=[]
    )
    sido = django_filters.MultipleChoiceFilter(label=_("시·도"), method="filter_facet", choices=[])
    municipality = django_filters.MultipleChoiceFilter(
        label=_("자치단체"), method="filter_facet", choices=[]
    )
    tag = django_filters.MultipleChoiceFilter(label=_("태그"), method="filter_facet", choices=[])
    kind = django_filters.MultipleChoiceFilter(
        label=_("계획 종류"), method="filter_facet", choices=PlanKind.choices
    )
    plan = django_filters.NumberFilter(
        label=_("계획"), field_name="plan_id", min_value=1, max_value=LARGEST_ID
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("상태"), method="filter_facet", choices=ServiceStatus.choices
    )
    year_from = django_filters.NumberFilter(
        label=_("계획 연도부터"),
        method="filter_year_from",
        min_value=EARLIEST_PLAN_YEAR,
        max_value=LATEST_PLAN_YEAR,
    )
    year_to = django_filters.NumberFilter(
        label=_("계획 연도까지"),
        method="filter_year_to",
        min_value=EARLIEST_PLAN_YEAR,
        max_value=LATEST_PLAN_YEAR,
    )

    class Meta:
        model = Service
        fields = []

    FACETS = ("category", "subcategory", "sido", "municipality", "tag", "kind", "status")

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        # The small reference tables (read once per revision and language) serve as choices
        # (an unknown code makes its field invalid, and an invalid field is ignored) and labels.
        self.options = {
            **revision.cached("facet-options", get_language(), _reference_options),
            "kind": list(PlanKind.choices),
            "status": list(ServiceStatus.choices),
        }
        for name in ("category", "subcategory", "sido", "tag"):
            self.filters[name].extra["choices"] = self.options[name]
        self.filters["municipality"].extra["choices"] = self._selected_municipalities()
        self.data, self.rejected = self._sanitise(self.data)

    def _sanitise(self, data) -> tuple[QueryDict, dict[str, list[str]]]:
        """Drop unknown values one by one (keeping the known ones of the same facet) and cut
        an over-long query, so that one bad value never widens or empties the result."""
        clean = QueryDict(mutable=True)
        rejected: dict[str, list[str]] = {}
        known = {
            name: {value for value, _ in self.filters[name].extra["choices"]}
            for name in self.FACETS
        }
        for key, values in data.lists() if hasattr(data, "lists") else data.items():
            for value in values if isinstance(values, list) else [values]:
                if key in known and value.strip() and value not in known[key]:
                    rejected.setdefault(key, []).append(value)
                elif key == "q":
                    clean.appendlist(key, value[:MAX_QUERY_LENGTH])
                else:
                    clean.appendlist(key, value)
        return clean, rejected

    def _selected_municipalities(self) -> list[tuple[str, str]]:
        """Choices for municipality: only the requested codes that exist (one query)."""
        requested = [
            code
            for code in (self.data.getlist("municipality") if self.data else [])
            if _is_municipality_code(code)
        ][:MAX_MUNICIPALITIES]
        if not requested:
            return []
        found = Municipality.objects.filter(code__in=requested).select_related("parent")
        return [(m.code, str(m)) for m in found]

    # -- filter methods -------------------------------------------------------------------

    def filter_query(self, queryset, name, value):
        return search.apply_search(queryset, search.parse_query(value))

    def filter_facet(self, queryset, name, values):
        return queryset.filter(facet_condition(name, values))

    def filter_year_from(self, queryset, name, year):
        # The plan's period reaches the year: it ends in or after it (or, with no end
        # year, starts in or after it).
        return queryset.filter(
            Q(plan__end_year__gte=year) | Q(plan__end_year__isnull=True, plan__start_year__gte=year)
        )

    def filter_year_to(self, queryset, name, year):
        return queryset.filter(plan__start_year__lte=year)

    # -- facets ---------------------------------------------------------------------------

    @property
    def query(self) -> search.ParsedQuery:
        return search.parse_query(self.form.cleaned_data.get("q") or "")

    def state(self) -> str:
        """The valid filter values in a canonical form: equal for equal selections."""
        self.is_valid()
        canonical = {
            name: sorted(value) if isinstance(value, list) else str(value)
            for name, value in self.form.cleaned_data.items()
            if value not in (None, "", [])
        }
        return json.dumps(canonical, sort_keys=True, ensure_ascii=False)

    def facet_counts(self, base: QuerySet) -> FacetCounts:
        """Every facet's option counts and the result total, in one SQL statement.

        The rows that pass the filters that are not facets (query, plan, years) are collected
        once, each with its facet values and, for every facet with a selection, whether it
        passes that facet. Each facet then counts the rows that pass every *other* facet, so
        the search runs once however many facets there are.
        """
        self.is_valid()  # populates cleaned_data, dropping invalid fields
        cleaned = {name: value for name, value in self.form.cleaned_data.items() if value}
        selected = {name: cleaned[name] for name in self.FACETS if name in cleaned}
        scope = base.order_by()
        for name, value in cleaned.items():
            if name not in self.FACETS:
                scope = self.filters[name].filter(scope, value)
        scope = scope.values(
            "id",
            **{_column(facet): expression for facet, expression in _FACET_VALUES.items()},
            **{
                _passes(facet): ExpressionWrapper(
                    facet_condition(facet, values), output_field=BooleanField()
                )
                for facet, values in selected.items()
            },
        )
        return _run_facet_statement(scope, list(selected))

    def indexed_counts(self, index: FacetIndex) -> tuple[FacetCounts, np.ndarray]:
        """``facet_counts`` of a browse without a search, answered from ``index``, and which of
        the index's services pass every filter."""
        self.is_valid()
        cleaned = self.form.cleaned_data
        scope = index.scope_rows(
            cleaned.get("plan"), cleaned.get("year_from"), cleaned.get("year_to")
        )
        passes = {
            name: index.facet_rows(name, cleaned[name]) for name in self.FACETS if cleaned.get(name)
        }
        options, total, rows = index.count_facets(scope, passes, self.FACETS)
        return FacetCounts(options, total), rows


def _reference_options() -> dict[str, list[tuple[str, str]]]:
    """The options of the facets drawn from reference tables, in the active language."""
    return {
        "category": [(c.code, c.name) for c in Category.objects.all()],
        "subcategory": [(s.code, s.name) for s in SubCategory.objects.all()],
        "sido": [
            (code[:2], name)
            for code, name in Municipality.objects.sidos().values_list("code", "name")
        ],
        "tag": list(Tag.objects.values_list("slug", "name")),
    }


def _is_municipality_code(value: str) -> bool:
    return len(value) == 5 and value.isascii() and value.isdigit()


def facet_condition(facet: str, values: list[str]) -> Q:
    """The rows that carry any of ``values`` in ``facet`` (OR within a facet)."""
    if facet == "sido":
        condition = Q()
        for prefix in values:
            condition |= Q(plan__municipality__code__startswith=prefix)
        return condition
    if facet == "tag":
        tagged = Service.tags.through.objects.filter(tag__slug__in=values).values("service_id")
        return Q(pk__in=tagged)
    return Q(**{f"{_FACET_FIELDS[facet]}__in": values})


_FACET_FIELDS = {
    "category": "category__code",
    "subcategory": "subcategory__code",
    "municipality": "plan__municipality__code",
    "kind": "plan__kind",
    "status": "status",
}
# The value each row contributes to a facet; tags, a to-many relation, are joined apart.
_FACET_VALUES = {
    **{facet: F(field) for facet, field in _FACET_FIELDS.items()},
    "sido": Substr("plan__municipality__code", 1, 2),
}


def _column(facet: str) -> str:
    return f"facet_{facet}"


def _passes(facet: str) -> str:
    return f"passes_{facet}"


def _run_facet_statement(scope: QuerySet, selected: list[str]) -> FacetCounts:
    quote = connection.ops.quote_name
    scope_sql, params = scope.query.sql_with_params()
    tags = Service.tags.through
    tag_join = (
        f"JOIN {quote(tags._meta.db_table)} link ON link.service_id = scope.id "
        f"JOIN {quote(Tag._meta.db_table)} tag ON tag.id = link.tag_id"
    )

    def where(except_facet: str | None) -> str:
        passes = [quote(_passes(facet)) for facet in selected if facet != except_facet]
        return f"WHERE {' AND '.join(passes)}" if passes else ""

    branches = [f"SELECT '', NULL, COUNT(*) FROM scope {where(None)}"]
    for facet in ServiceFilter.FACETS:
        value = "tag.slug" if facet == "tag" else quote(_column(facet))
        source = f"scope {tag_join}" if facet == "tag" else "scope"
        branches.append(
            f"SELECT '{facet}', {value}, COUNT(*) FROM {source} {where(facet)} GROUP BY {value}"
        )
    sql = f"WITH scope AS MATERIALIZED ({scope_sql}) " + " UNION ALL ".join(branches)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    options = {facet: {} for facet in ServiceFilter.FACETS}
    total = 0
    for facet, value, count in rows:
        if facet == "":
            total = count
        elif value is not None:
            options[facet][value] = count
    return FacetCounts(options, total)
