"""``/services/``: the faceted browse page. The URL carries the whole state."""

import json
import zlib
from dataclasses import dataclass, field

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from catalog import facet_index, revision
from catalog.filters import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    SORTS,
    UNSEARCHED_SORTS,
    ServiceFilter,
    choose_sort,
)
from catalog.models import Municipality, Plan, Service

MUNICIPALITY_OPTIONS_SHOWN = 30
# Rendered results are kept compressed (a page's ~40 KB become ~5 KB), so that a process's own
# cache of a few thousand entries stays small.
BODY_COMPRESSION = 1
# Parameters that are part of the view, not filters: kept when filters are cleared.
VIEW_PARAMETERS = ("q", "sort", "per_page")


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    title: str
    options: list[Option] = field(default_factory=list)


@dataclass
class Chip:
    label: str
    remove_url: str


def service_list(request):
    filterset = ServiceFilter(request.GET, queryset=Service.objects.published())
    filterset.is_valid()
    sort = choose_sort(request.GET.get("sort"), bool(filterset.query))
    per_page = _choose_page_size(request.GET.get("per_page"))

    catalog_revision = revision.current()
    index = (
        None
        if filterset.query
        else facet_index.for_current_revision(UNSEARCHED_SORTS, catalog_revision)
    )
    if index is None:  # a search, or the index of a new revision is being built elsewhere
        counts = revision.cached(
            "browse-facets",
            filterset.state(),
            lambda: filterset.facet_counts(Service.objects.published()),
            timeout=revision.SEARCH_CACHE_SECONDS if filterset.query else revision.CACHE_SECONDS,
            number=catalog_revision,
        )
        results = filterset.qs.for_list().order_by(*SORTS[sort])
    else:
        counts, rows = filterset.indexed_counts(index)
        results = facet_index.IndexedResults(
            index, rows, sort, Service.objects.published().for_list()
        )
    paginator = Paginator(results, per_page)
    paginator.count = counts.total  # known already: spares a COUNT query
    page_number = _page_number(paginator, request.GET.get("page"))

    def render_body() -> str:
        context = _body_context(filterset, counts, paginator.page(page_number), sort, per_page)
        return render_to_string("catalog/browse_body.html", context, request)

    if _shareable(filterset):
        view = json.dumps([get_language(), filterset.state(), sort, per_page, page_number])
        packed = revision.cached(
            "browse-body",
            view,
            lambda: zlib.compress(render_body().encode(), BODY_COMPRESSION),
            number=catalog_revision,
        )
        body = mark_safe(zlib.decompress(packed).decode())
    else:
        body = render_body()
    query = filterset.form.cleaned_data.get("q") or ""
    return render(request, "catalog/service_list.html", {"body": body, "query": query})


def _shareable(filterset: ServiceFilter) -> bool:
    """Whether the rendered results may be kept for every visitor of the same view: not for a
    free-text search (one-off queries would push out the entries that visitors share) nor when
    rejected values, which are only echoed back, are part of the page."""
    return not filterset.query and not filterset.rejected and not filterset.errors


def _page_number(paginator: Paginator, requested: str | None) -> int:
    """The page shown for ``requested``, as ``Paginator.get_page`` chooses it."""
    try:
        return paginator.validate_number(requested)
    except PageNotAnInteger:
        return 1
    except EmptyPage:
        return paginator.num_pages


def _body_context(filterset: ServiceFilter, counts, page, sort: str, per_page: int) -> dict:
    params = _clean_params(filterset.data, filterset)
    facets = _build_facets(filterset, counts.options, params)
    return {
        "filterset": filterset,
        "page": page,
        "facets": facets,
        "chips": _build_chips(filterset, facets, params),
        "clear_url": _url(_only(params, VIEW_PARAMETERS)),
        "query": filterset.form.cleaned_data.get("q") or "",
        "sort": sort,
        "sorts": _sort_choices(filterset),
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "page_url_base": _page_url_base(params),
        "page_numbers": list(page.paginator.get_elided_page_range(page.number, on_each_side=2)),
        "export_query": _without(params, ["page", "per_page"]).urlencode(),
        "rejected": [
            (str(FACET_TITLES[name]), value)
            for name, values in filterset.rejected.items()
            for value in values
        ],
        "kept_params": [
            (key, value)
            for key, values in _without(params, ["page", "sort", "per_page"]).lists()
            for value in values
        ],
        "year_from": filterset.form.cleaned_data.get("year_from"),
        "year_to": filterset.form.cleaned_data.get("year_to"),
    }


# -- state ------------------------------------------------------------------------------


def _plan_label(filterset: ServiceFilter) -> str:
    """The selected plan's name for its chip (a query only when a plan is selected)."""
    plan_id = filterset.form.cleaned_data.get("plan")
    if not plan_id:
        return ""
    plan = Plan.objects.select_related("municipality__parent").filter(pk=plan_id).first()
    return str(plan) if plan else ""


def _clean_params(data: QueryDict, filterset: ServiceFilter) -> QueryDict:
    """The request's parameters minus empty values and values the filters rejected."""
    params = QueryDict(mutable=True)
    for key, values in data.lists():
        if key in filterset.errors:
            continue
        for value in values:
            if value.strip() and value not in params.getlist(key):
                params.appendlist(key, value)
    return params


def _choose_page_size(requested: str | None) -> int:
    return int(requested) if requested in {str(size) for size in PAGE_SIZES} else DEFAULT_PAGE_SIZE


def _sort_choices(filterset: ServiceFilter) -> list[tuple[str, str]]:
    choices = [("name", _("이름순")), ("municipality", _("자치단체순")), ("newest", _("최신순"))]
    if filterset.query:
        choices.insert(0, ("relevance", _("관련도순")))
    return choices


# -- facets and chips -------------------------------------------------------------------


FACET_TITLES = {
    "category": gettext_lazy("분야"),
    "subcategory": gettext_lazy("세부 분야"),
    "sido": gettext_lazy("시·도"),
    "municipality": gettext_lazy("자치단체"),
    "tag": gettext_lazy("태그"),
    "kind": gettext_lazy("계획 종류"),
    "status": gettext_lazy("상태"),
}


def _build_facets(
    filterset: ServiceFilter, counts: dict[str, dict[str, int]], params: QueryDict
) -> list[Facet]:
    labels = dict(filterset.options)
    labels["municipality"] = _municipality_labels(counts["municipality"], params)
    facets = []
    for name in ServiceFilter.FACETS:
        selected = set(params.getlist(name))
        facet = Facet(name, str(FACET_TITLES[name]))
        for value, label in labels[name]:
            count = counts[name].get(value, 0)
            if count or value in selected:
                facet.options.append(Option(value, label, count, value in selected))
        facets.append(facet)
    return facets


def _municipality_labels(counts: dict[str, int], params: QueryDict) -> list[tuple[str, str]]:
    """The most frequent municipalities (and any selected), labelled, in one query."""
    shown = sorted(counts, key=lambda code: (-counts[code], code))[:MUNICIPALITY_OPTIONS_SHOWN]
    wanted = set(shown) | set(params.getlist("municipality"))
    found = Municipality.objects.filter(code__in=wanted).select_related("parent")
    labelled = {m.code: str(m) for m in found}
    return sorted(labelled.items(), key=lambda item: (-counts.get(item[0], 0), item[0]))


def _build_chips(filterset: ServiceFilter, facets: list[Facet], params: QueryDict) -> list[Chip]:
    chips = []
    query = filterset.form.cleaned_data.get("q")
    if query:
        chips.append(Chip(f"“{query}”", _url(_without(params, ["q", "page"]))))
    for facet in facets:
        for option in facet.options:
            if option.selected:
                remove_url = _toggle(params, facet.name, option.value)
                chips.append(Chip(f"{facet.title}: {option.label}", remove_url))
    plan_label = _plan_label(filterset)
    if plan_label:
        chips.append(Chip(f"{_('계획')}: {plan_label}", _url(_without(params, ["plan", "page"]))))
    for name, label in (("year_from", _("부터")), ("year_to", _("까지"))):
        year = filterset.form.cleaned_data.get(name)
        if year is not None:
            chips.append(Chip(f"{int(year)}{label}", _url(_without(params, [name, "page"]))))
    return chips


# -- URLs -------------------------------------------------------------------------------


def _toggle(params: QueryDict, name: str, value: str) -> str:
    toggled = _without(params, ["page"])
    values = toggled.getlist(name)
    toggled.setlist(
        name, [v for v in values if v != value] if value in values else [*values, value]
    )
    return _url(toggled)


def _without(params: QueryDict, names) -> QueryDict:
    copy = params.copy()
    for name in names:
        copy.pop(name, None)
    return copy


def _only(params: QueryDict, names) -> QueryDict:
    kept = QueryDict(mutable=True)
    for name in names:
        if name in params:
            kept.setlist(name, params.getlist(name))
    return kept


def _url(params: QueryDict) -> str:
    return f"?{params.urlencode()}"


def _page_url_base(params: QueryDict) -> str:
    """Pagination links append ``page=N`` to this."""
    encoded = _without(params, ["page"]).urlencode()
    return f"?{encoded}&" if encoded else "?"
