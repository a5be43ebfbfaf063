"""``/analysis/``: the issue paper's study, kept current; ``/analysis/method/``; idea pages
``/ideas/<id>/``; exports."""

import dataclasses

from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from analysis import dashboard as dashboard_figures
from analysis import diffusion, duplication, exporting, figures, ideas, learning
from analysis.exporting import (
    CLUSTER_COLUMNS,
    MATRIX_COLUMNS,
    MUNICIPALITY_COLUMNS,
    SHARE_COLUMNS,
)
from analysis.method_notes import MEASURED_QUALITY, PARAMETER_HELP, RUN_HELP
from analysis.models import IdeaCluster
from analysis.shares import share
from catalog.filters import ServiceFilter
from catalog.spreadsheets import csv_response, dated, xlsx_response
from releases import live

SCOPE_FIELDS_SHOWN = ("sido", "kind", "year_from", "year_to")
SCOPE_PARAMETERS = ("sido", "municipality", "kind", "category", "year_from", "year_to", "q")


def _scope(request) -> ServiceFilter:
    return dashboard_figures.scope_of(request.GET)


def dashboard(request):
    scope = _scope(request)
    context = {
        "scope_fields": [scope.form[name] for name in SCOPE_FIELDS_SHOWN],
        "scope_query": _scope_query(request),
        # Every figure is counted over the whole scope: once per revision of the data.
        **dashboard_figures.cached_figures(scope),
    }
    return render(request, "analysis/dashboard.html", context)


def _scope_query(request) -> str:
    kept = request.GET.copy()
    for key in list(kept):
        if key not in SCOPE_PARAMETERS:
            kept.pop(key)
    return kept.urlencode()


LEARNED_SHOWN = 100
LEXICON_GROUPS_SHOWN = 8


def method(request):
    run = figures.latest_run()
    parameters = run.parameters if run else dataclasses.asdict(duplication.Parameters())
    lexicon = duplication.load_lexicon()
    learned = learning.active_entries().select_related("decided_by")
    staff = learning.may_curate(request.user)
    context = {
        "run": run,
        "method_name": run.method if run else f"{duplication.METHOD} v{duplication.METHOD_VERSION}",
        "parameters": [
            (name, _display(value), PARAMETER_HELP.get(name) or RUN_HELP.get(name, ""))
            for name, value in parameters.items()
        ],
        "learned": [
            (entry, learning.SOURCE_LABELS.get(entry.source, entry.source), _who(entry, staff))
            for entry in learned[:LEARNED_SHOWN]
        ],
        "learned_count": learned.count(),
        "learned_shown": LEARNED_SHOWN,
        "may_undo": staff,
        "lexicon": lexicon,
        "lexicon_examples": lexicon.groups[:LEXICON_GROUPS_SHOWN],
        "quality": MEASURED_QUALITY,
    }
    return render(request, "analysis/method.html", context)


def _who(entry, staff: bool) -> str:
    """Who decided: a full name, else (sign-in names are for staff eyes) "담당자"."""
    user = entry.decided_by
    if user is None:
        return "—"
    return user.get_full_name() or (user.get_username() if staff else _("담당자"))


def lexicon_file(request):
    """The domain lexicon as the method reads it (``analysis/lexicon.csv``)."""
    return FileResponse(
        open(duplication.LEXICON_PATH, "rb"),
        content_type="text/csv; charset=utf-8",
        filename="lexicon.csv",
    )


def _display(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_display(item) for item in value)
    return str(value)


def idea_detail(request, pk: int):
    """An idea planned by two or more municipalities; any other cluster has no page."""
    cluster = get_object_or_404(IdeaCluster.objects.for_page(), pk=pk)
    return render(request, "analysis/idea_detail.html", {"page": ideas.page_of(cluster)})


# -- exports ----------------------------------------------------------------------------

NEW_IDEA_COLUMNS = ("year", "new_idea_count", "cumulative_idea_count")
COPIED_SHARE_COLUMNS = ("year", "service_count", "copied_service_count", "copied_share_percent")
IDEA_SPEED_COLUMNS = (
    "idea_id",
    "idea_label",
    "municipality_count",
    "first_year",
    "fifth_adopter_year",
    "years_to_fifth_adopter",
    "idea_url",
)
SIMILAR_PAIR_COLUMNS = (
    "municipality_code",
    "municipality_name",
    "other_municipality_code",
    "other_municipality_name",
    "common_idea_count",
    "jaccard",
)


def export(request, table: str):
    export_format = request.GET.get("format", "csv")
    if export_format not in ("csv", "xlsx"):
        return HttpResponseBadRequest(
            _("알 수 없는 형식입니다. csv 또는 xlsx를 고르세요."),
            content_type="text/plain; charset=utf-8",
        )
    tables = {
        "shares": (SHARE_COLUMNS, exporting.share_rows),
        "matrix": (MATRIX_COLUMNS, exporting.matrix_rows),
        "clusters": (CLUSTER_COLUMNS, lambda _: exporting.cluster_rows(request.build_absolute_uri)),
        "municipalities": (MUNICIPALITY_COLUMNS, lambda _: exporting.municipality_rows()),
        "new-ideas": (NEW_IDEA_COLUMNS, _new_idea_rows),
        "copied-share": (COPIED_SHARE_COLUMNS, _copied_share_rows),
        "idea-speed": (IDEA_SPEED_COLUMNS, lambda services: _idea_speed_rows(services, request)),
        "similar-pairs": (SIMILAR_PAIR_COLUMNS, _similar_pair_rows),
    }
    if table not in tables:
        raise Http404
    columns, build = tables[table]
    rows = build(_scope(request).qs)
    source = live.source()
    filename = dated(source.file_stem(f"smartcity-{table}"), export_format)
    if export_format == "xlsx":
        return source.mark(xlsx_response(rows, columns, filename, sheet=table))
    return source.mark(csv_response(rows, columns, filename))


def _new_idea_rows(services):
    for bar in diffusion.new_ideas_per_year(services).bars:
        yield {
            "year": bar.label,
            "new_idea_count": bar.value,
            "cumulative_idea_count": bar.cumulative,
        }


def _copied_share_rows(services):
    for row in diffusion.copied_share_per_year(services):
        yield {
            "year": row.year,
            "service_count": row.service_count,
            "copied_service_count": row.copied_count,
            "copied_share_percent": row.percent,
        }


def _idea_speed_rows(services, request):
    """Every idea with a fifth adopter in the scope, fastest first."""
    for idea in diffusion.by_speed(services):
        yield {
            "idea_id": idea.pk,
            "idea_label": idea.label,
            "municipality_count": idea.adopters,
            "first_year": idea.first_year,
            "fifth_adopter_year": idea.speed_year,
            "years_to_fifth_adopter": idea.years_to_speed_adopter,
            "idea_url": request.build_absolute_uri(idea.get_absolute_url()),
        }


def _similar_pair_rows(_services):
    """Nationwide; the scope does not narrow them."""
    for pair in figures.similar_pairs():
        yield {
            "municipality_code": pair.first.code,
            "municipality_name": str(pair.first),
            "other_municipality_code": pair.second.code,
            "other_municipality_name": str(pair.second),
            "common_idea_count": pair.common,
            "jaccard": round(pair.jaccard, 4),
        }


IDEA_SERVICE_COLUMNS = (
    "idea_id",
    "idea_label",
    "plan_year",
    "first_adopter",
    "service_id",
    "service_name",
    "service_url",
    "municipality_code",
    "municipality_name",
    "sido_name",
    "plan_id",
    "plan_title",
    "plan_url",
    "category_code",
    "category_name",
    "similarity",
)
TIMELINE_COLUMNS = ("year", "service_count", "cumulative_service_count")


def idea_export(request, pk: int):
    """The idea page's table of services, every one of them (the page lists the first)."""
    cluster = get_object_or_404(IdeaCluster.objects.shared(), pk=pk)
    return _idea_csv(cluster, _idea_service_rows(cluster, request), IDEA_SERVICE_COLUMNS)


def _idea_csv(cluster: IdeaCluster, rows, columns, table: str = ""):
    """A CSV of one of the idea page's tables, naming the release its numbers match."""
    source = live.source()
    stem = f"smartcity-idea-{cluster.pk}" + (f"-{table}" if table else "")
    return source.mark(csv_response(rows, columns, dated(source.file_stem(stem), "csv")))


def idea_timeline(request, pk: int):
    """The numbers of the idea page's timeline chart."""
    cluster = get_object_or_404(IdeaCluster.objects.shared(), pk=pk)
    chart = ideas.timeline(ideas.year_counts(ideas.services_of(cluster)))
    rows = (
        {"year": bar.label, "service_count": bar.value, "cumulative_service_count": bar.cumulative}
        for bar in chart.bars
    )
    return _idea_csv(cluster, rows, TIMELINE_COLUMNS, "timeline")


def idea_fields(request, pk: int):
    """The numbers of the idea page's chart of the fields its services were filed under."""
    cluster = get_object_or_404(IdeaCluster.objects.shared(), pk=pk)
    fields = list(ideas.fields_of(ideas.services_of(cluster)))
    total = sum(category.service_count for category in fields)
    rows = (
        {
            "category_code": category.code,
            "category_name": category.name,
            "service_count": category.service_count,
            "share_percent": share(category.service_count, total),
        }
        for category in fields
    )
    return _idea_csv(cluster, rows, SHARE_COLUMNS, "fields")


def _idea_service_rows(cluster: IdeaCluster, request):
    services = ideas.services_of(cluster)
    first_year = ideas.first_year(ideas.year_counts(services))
    for service in ideas.in_year_order(services).iterator(2000):
        plan, municipality = service.plan, service.plan.municipality
        yield {
            "idea_id": cluster.pk,
            "idea_label": cluster.label,
            "plan_year": plan.start_year,
            "first_adopter": ideas.is_first_adopter(plan.start_year, first_year),
            "service_id": service.pk,
            "service_name": service.name,
            "service_url": request.build_absolute_uri(service.get_absolute_url()),
            "municipality_code": municipality.code,
            "municipality_name": str(municipality),
            "sido_name": (municipality.parent or municipality).name,
            "plan_id": plan.pk,
            "plan_title": plan.title,
            "plan_url": request.build_absolute_uri(plan.get_absolute_url()),
            "category_code": service.category.code,
            "category_name": service.category.name_ko,
            "similarity": round(service.idea.similarity, 4),
        }
