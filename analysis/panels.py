"""The analysis sections shown on the catalog's service and municipality pages."""

from django.template.loader import render_to_string

from analysis import figures, idea_table, learning
from catalog import revision


def same_idea_elsewhere(service, request) -> str:
    members = figures.same_idea_elsewhere(service)
    if not members:
        return ""
    return render_to_string(
        "analysis/includes/same_idea_elsewhere.html",
        {
            "members": members,
            "cluster": members[0].cluster,
            "why": learning.describe(members[0].cluster.explanation),
        },
        request=request,
    )


def similar_municipalities(municipality, request) -> str:
    context = revision.cached(
        "municipality-analysis",
        str(municipality.pk),
        lambda: _municipality_figures(municipality),
        alias="figures",
    )
    if not context["figures"] and not context["similar"]:
        return ""
    return render_to_string(
        "analysis/includes/similar_municipalities.html", context, request=request
    )


def _municipality_figures(municipality) -> dict:
    with idea_table.pinned():
        own = [row for row in figures.differentiation() if row.pk == municipality.pk]
        return {
            "figures": own[0] if own else None,
            "similar": figures.similar_municipalities(municipality),
            "run": figures.latest_run(),
        }
