"""The analysis sections shown on the catalog's service and municipality pages."""

from django.template.loader import render_to_string

from analysis import figures


def same_idea_elsewhere(service, request) -> str:
    members = figures.same_idea_elsewhere(service)
    if not members:
        return ""
    return render_to_string(
        "analysis/includes/same_idea_elsewhere.html",
        {"members": members, "cluster": members[0].cluster},
        request=request,
    )


def similar_municipalities(municipality, request) -> str:
    rows = figures.with_index(
        figures.differentiation(type(municipality).objects.filter(pk=municipality.pk))
    )
    similar = figures.similar_municipalities(municipality)
    if not rows and not similar:
        return ""
    return render_to_string(
        "analysis/includes/similar_municipalities.html",
        {"figures": rows[0] if rows else None, "similar": similar, "run": figures.latest_run()},
        request=request,
    )
