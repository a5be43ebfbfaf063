"""The figures of ``/analysis/`` for a scope, computed together from one ``idea_table`` and
cached per revision of the catalog; the analysis worker prepares those of the whole catalog as
soon as it changes."""

from django.http import QueryDict

from analysis import diffusion, figures, idea_table, worker
from analysis.shares import category_shares, municipality_matrix
from catalog import revision
from catalog.filters import ServiceFilter
from catalog.models import Service

TOP_IDEAS = 20
TOP_DIFFUSION = 10


def scope_of(parameters: QueryDict) -> ServiceFilter:
    """The services in scope: the browse page's filters, applied to published services."""
    filterset = ServiceFilter(parameters, queryset=Service.objects.published())
    filterset.is_valid()
    return filterset


def cached_figures(scope: ServiceFilter) -> dict:
    """``figures_of`` the scope, counted once per revision of the catalog."""
    return revision.cached(
        "analysis-dashboard", scope.state(), lambda: figures_of(scope.qs), alias="figures"
    )


def prepare() -> None:
    """Count the whole catalog's figures for the current revision, if nobody has yet."""
    cached_figures(scope_of(QueryDict()))


def figures_of(services) -> dict:
    """Every figure of the dashboard for ``services`` (published services in scope)."""
    with idea_table.pinned():
        run = figures.latest_run()
        return {
            "shares": category_shares(services),
            "matrix": municipality_matrix(services, Service.objects.published()),
            "rate": figures.duplication_rate(services),
            "ideas": list(figures.most_copied(TOP_IDEAS)),
            "municipalities": figures.ranked_municipalities(),
            **_diffusion(services),
            "similar_pairs": figures.similar_pairs(),
            "pair_minimum_services": figures.PAIR_MINIMUM_SERVICES,
            "run": run,
            # Fixed for a revision (a successful run moves it), so it is cached with the figures.
            "changes_waiting": worker.changes_waiting(run),
        }


def _diffusion(services) -> dict:
    copied = diffusion.copied_share_per_year(services)
    return {
        "spread": diffusion.by_spread(services, TOP_DIFFUSION),
        "speed": diffusion.by_speed(services, TOP_DIFFUSION),
        "speed_adopter": diffusion.SPEED_ADOPTER,
        "new_ideas": diffusion.new_ideas_per_year(services),
        "copied": copied,
        "copied_chart": diffusion.copied_share_chart(copied),
    }
