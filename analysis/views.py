"""``/analysis/``: the issue paper's study, kept current; ``/analysis/method/``; idea pages
``/ideas/<id>/``; exports."""

import dataclasses

from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from analysis import diffusion, duplication, figures, ideas, learning
from analysis.method_notes import MEASURED_QUALITY, PARAMETER_HELP, RUN_HELP
from analysis.models import IdeaCluster
from analysis.shares import category_shares, municipality_matrix
from analysis.worker import changes_waiting
from catalog import revision
from catalog.filters import ServiceFilter
from catalog.models import Service
from catalog.spreadsheets import csv_response, dated, xlsx_response

TOP_IDEAS = 20
TOP_DIFFUSION = 10
SCOPE_FIELDS_SHOWN = ("sido", "kind", "year_from", "year_to")
SCOPE_PARAMETERS = ("sido", "municipality", "kind", "category", "year_from", "year_to", "q")


def _scope(request) -> ServiceFilter:
    """The services in scope: the browse page's filters, applied to published services."""
    filterset = ServiceFilter(request.GET, queryset=Service.objects.published())
    filterset.is_valid()
    return filterset


def dashboard(request):
    scope = _scope(request)
    context = {
        "scope_fields": [scope.form[name] for name in SCOPE_FIELDS_SHOWN],
        "scope_query": _scope_query(request),
        # Every figure is counted over the whole scope: once per revision of the data.
        **revision.cached(
            "analysis-dashboard",
            scope.state(),
            lambda: _dashboard_figures(scope),
            alias="figures",
        ),
    }
    return render(request, "analysis/dashboard.html", context)


def _dashboard_figures(scope: ServiceFilter) -> dict:
    services = scope.qs
    run = figures.latest_run()
    return {
        "shares": category_shares(services),
        "matrix": municipality_matrix(services, Service.objects.published()),
        "rate": figures.duplication_rate(services),
        "ideas": list(figures.most_copied(TOP_IDEAS)),
        "municipalities": figures.ranked_municipalities(),
        **_diffusion_figures(services),
        "similar_pairs": figures.similar_pairs(),
        "pair_minimum_services": figures.PAIR_MINIMUM_SERVICES,
        "run": run,
        # Fixed for a revision (a successful run moves it), so it is cached with the figures.
        "changes_waiting": changes_waiting(run),
    }


def _diffusion_figures(services) -> dict:
    copied = diffusion.copied_share_per_year(services)
    return {
        "spread": list(diffusion.by_spread(services)[:TOP_DIFFUSION]),
        "speed": diffusion.by_speed(services)[:TOP_DIFFUSION],
        "speed_adopter": diffusion.SPEED_ADOPTER,
        "new_ideas": diffusion.new_ideas_per_year(services),
        "copied": copied,
        "copied_chart": diffusion.copied_share_chart(copied),
    }


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

SHARE_COLUMNS = ("category_code", "category_name", "service_count", "share_percent")
MATRIX_COLUMNS = (
    "municipality_code",
    "municipality_name",
    "sido_name",
    "category_code",
    "category_name",
    "service_count",
    "share_percent",
    "national_share_percent",
    "location_quotient",
)
CLUSTER_COLUMNS = (
    "cluster_id",
    "cluster_label",
    "confirmed",
    "municipality_count",
    "service_id",
    "municipality_code",
    "municipality_name",
    "service_name",
    "similarity",
    "why",
    "idea_url",
)
MUNICIPALITY_COLUMNS = (
    "municipality_code",
    "municipality_name",
    "sido_name",
    "service_count",
    "shared_service_count",
    "unique_service_count",
    "differentiation_index",
)

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
        "shares": (SHARE_COLUMNS, _share_rows),
        "matrix": (MATRIX_COLUMNS, _matrix_rows),
        "clusters": (CLUSTER_COLUMNS, lambda _services: _cluster_rows(request)),
        "municipalities": (MUNICIPALITY_COLUMNS, _municipality_rows),
        "new-ideas": (NEW_IDEA_COLUMNS, _new_idea_rows),
        "copied-share": (COPIED_SHARE_COLUMNS, _copied_share_rows),
        "idea-speed": (IDEA_SPEED_COLUMNS, lambda services: _idea_speed_rows(services, request)),
        "similar-pairs": (SIMILAR_PAIR_COLUMNS, _similar_pair_rows),
    }
    if table not in tables:
        raise Http404
    columns, build = tables[table]
    rows = build(_scope(request).qs)
    filename = dated(f"smartcity-{table}", export_format)
    if export_format == "xlsx":
        return xlsx_response(rows, columns, filename, sheet=table)
    return csv_response(rows, columns, filename)


def _share_rows(services):
    for category in category_shares(services):
        yield {
            "category_code": category.code,
            "category_name": category.name_ko,
            "service_count": category.service_count,
            "share_percent": category.share,
        }


def _matrix_rows(services):
    matrix = municipality_matrix(services, Service.objects.published())
    national = {category.pk: category.share for category in matrix.national}
    for row in matrix.rows:
        sido = row.municipality.parent or row.municipality
        for cell in row.cells:
            yield {
                "municipality_code": row.municipality.code,
                "municipality_name": row.municipality.name,
                "sido_name": sido.name,
                "category_code": cell.category.code,
                "category_name": cell.category.name_ko,
                "service_count": cell.count,
                "share_percent": cell.share,
                "national_share_percent": national[cell.category.pk],
                "location_quotient": cell.quotient,
            }


def _cluster_rows(request):
    """Clusters are catalogue-wide; the scope does not narrow them."""
    municipality_counts = dict(figures.shared_clusters().values_list("pk", "municipality_count"))
    why: dict[int, str] = {}  # one line per cluster, whatever its size
    idea_urls: dict[int, str] = {}
    for member in figures.shared_members().iterator(2000):
        municipality = member.service.plan.municipality
        if member.cluster_id not in why:
            why[member.cluster_id] = learning.describe(member.cluster.explanation)
            idea_urls[member.cluster_id] = request.build_absolute_uri(
                member.cluster.get_absolute_url()
            )
        yield {
            "cluster_id": member.cluster_id,
            "cluster_label": member.cluster.label,
            "confirmed": member.cluster.is_confirmed,
            "municipality_count": municipality_counts.get(member.cluster_id, 0),
            "service_id": member.service_id,
            "municipality_code": municipality.code,
            "municipality_name": str(municipality),
            "service_name": member.service.name,
            "similarity": round(member.similarity, 4),
            "why": why[member.cluster_id],
            "idea_url": idea_urls[member.cluster_id],
        }


def _municipality_rows(_services):
    for row in figures.with_index(figures.differentiation().order_by("code")):
        sido = row.parent or row
        yield {
            "municipality_code": row.code,
            "municipality_name": row.name,
            "sido_name": sido.name,
            "service_count": row.service_total,
            "shared_service_count": row.shared_count,
            "unique_service_count": row.unique_count,
            "differentiation_index": row.differentiation,
        }


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
    return csv_response(
        _idea_service_rows(cluster, request),
        IDEA_SERVICE_COLUMNS,
        dated(f"smartcity-idea-{cluster.pk}", "csv"),
    )


def idea_timeline(request, pk: int):
    """The numbers of the idea page's timeline chart."""
    cluster = get_object_or_404(IdeaCluster.objects.shared(), pk=pk)
    chart = ideas.timeline(ideas.year_counts(ideas.services_of(cluster)))
    rows = (
        {"year": bar.label, "service_count": bar.value, "cumulative_service_count": bar.cumulative}
        for bar in chart.bars
    )
    return csv_response(
        rows, TIMELINE_COLUMNS, dated(f"smartcity-idea-{cluster.pk}-timeline", "csv")
    )


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
