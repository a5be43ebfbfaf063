"""Template context every page shares: the site's navigation across its apps."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (label, URL name of the section's list page, URL names of pages inside the section)
NAVIGATION = (
    (_("서비스"), "catalog:service-list", ("catalog:service-detail",)),
    (_("분야"), "catalog:category-list", ("catalog:category-detail",)),
    (_("자치단체"), "catalog:municipality-list", ("catalog:municipality-detail",)),
    (_("비교"), "catalog:compare", ()),
    (_("분석"), "analysis:dashboard", ("analysis:method", "analysis:idea-detail")),
    (_("데이터"), "releases:list", ("releases:changes",)),
)


def navigation(request) -> dict:
    """The header's links, each with the value of its ``aria-current`` attribute.

    ``"page"`` marks the link to the page being shown; ``"true"`` marks the section a detail
    page belongs to (a category page under 분야); ``""`` leaves the attribute out.
    """
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = []
    for label, list_name, inner_names in NAVIGATION:
        if current == list_name:
            state = "page"
        elif current in inner_names:
            state = "true"
        else:
            state = ""
        items.append({"label": label, "url": reverse(list_name), "current": state})
    return {"navigation": items}
