"""The filters of the browse page and of the exports, which always agree.

Facets are multi-select: values within one facet are OR-ed, facets are AND-ed. Each facet's
option counts apply every selected filter except the facet's own (see ``facet_counts``), the
usual faceted-search behaviour: choosing 교통 does not hide the other fields' counts.
"""

import django_filters
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from catalog import search
from catalog.models import (
    EARLIEST_PLAN_YEAR,
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


def choose_sort(requested: str | None, has_query: bool) -> str:
    """A whitelisted sort key; relevance only makes sense (and is the default) with a query."""
    if requested in SORTS and (requested != "relevance" or has_query):
        return requested
    return "relevance" if has_query else "name"


PAGE_SIZES = (20, 50, 100)
MAX_MUNICIPALITIES = 50  # selected at once; more are ignored
DEFAULT_PAGE_SIZE = 20


class ServiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("검색어"), method="filter_query", max_length=MAX_QUERY_LENGTH
    )
    category = django_filters.MultipleChoiceFilter(
        label=_("분야"), field_name="category__code", choices=[]
    )
    subcategory = django_filters.MultipleChoiceFilter(
        label=_("세부 분야"), field_name="subcategory__code", choices=[]
    )
    sido = django_filters.MultipleChoiceFilter(label=_("시·도"), method="filter_sido", choices=[])
    municipality = django_filters.MultipleChoiceFilter(
        label=_("자치단체"), method="filter_municipality", choices=[]
    )
    tag = django_filters.MultipleChoiceFilter(label=_("태그"), method="filter_tag", choices=[])
    kind = django_filters.MultipleChoiceFilter(
        label=_("계획 종류"), field_name="plan__kind", choices=PlanKind.choices
    )
    plan = django_filters.NumberFilter(label=_("계획"), field_name="plan_id", min_value=1)
    status = django_filters.MultipleChoiceFilter(
        label=_("상태"), field_name="status", choices=ServiceStatus.choices
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
        # The small reference tables are read once per request and serve as choices (an
        # unknown code makes its field invalid, and an invalid field is ignored) and as labels.
        self.options = {
            "category": [(c.code, c.name) for c in Category.objects.all()],
            "subcategory": [(s.code, s.name) for s in SubCategory.objects.all()],
            "sido": [
                (code[:2], name)
                for code, name in Municipality.objects.sidos().values_list("code", "name")
            ],
            "tag": list(Tag.objects.values_list("slug", "name")),
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

    def filter_sido(self, queryset, name, prefixes):
        condition = Q()
        for prefix in prefixes:
            condition |= Q(plan__municipality__code__startswith=prefix)
        return queryset.filter(condition)

    def filter_municipality(self, queryset, name, codes):
        return queryset.filter(plan__municipality__code__in=codes)

    def filter_tag(self, queryset, name, slugs):
        tagged = Service.tags.through.objects.filter(tag__slug__in=slugs).values("service_id")
        return queryset.filter(pk__in=tagged)

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

    def filter_queryset_except(self, queryset: QuerySet, excluded: str | None) -> QuerySet:
        """Apply every valid filter except ``excluded`` (None applies all)."""
        for name, value in self.form.cleaned_data.items():
            if name != excluded:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def facet_counts(self, base: QuerySet) -> dict[str, dict[str, int]]:
        """For each facet, {option value: matching services}, one grouped query each."""
        self.is_valid()  # populates cleaned_data, dropping invalid fields
        counts = {}
        for facet, (value_expression, counted) in _FACET_GROUPING.items():
            scope = self.filter_queryset_except(base.order_by(), facet)
            rows = (
                scope.annotate(facet_value=value_expression)
                .values("facet_value")
                .annotate(n=Count(counted))
                .values_list("facet_value", "n")
            )
            counts[facet] = {value: n for value, n in rows if value is not None}
        return counts


def _is_municipality_code(value: str) -> bool:
    return len(value) == 5 and value.isascii() and value.isdigit()


_FACET_GROUPING = {
    "category": (F("category__code"), "pk"),
    "subcategory": (F("subcategory__code"), "pk"),
    "sido": (Substr("plan__municipality__code", 1, 2), "pk"),
    "municipality": (F("plan__municipality__code"), "pk"),
    "tag": (F("tags__slug"), "pk"),
    "kind": (F("plan__kind"), "pk"),
    "status": (F("status"), "pk"),
}
