"""The rows of each table of a release, read from the live catalog and its analysis.

Services and the analysis tables come from the builders the live exports use
(``catalog.exporting``, ``analysis.exporting``), so a release holds the rows those exports gave
at the moment it was made. Links are absolute under the site's public address.
"""

from collections.abc import Callable, Iterable

from django.urls import reverse

from analysis import exporting, figures, learning
from catalog.exporting import service_rows
from catalog.models import Category, Municipality, Plan, Service, SubCategory, Tag
from catalog.spreadsheets import in_columns


def rows_of(name: str, absolute: Callable[[str], str]) -> Iterable:
    """The rows of table ``name`` (see ``releases.package.TABLES``), as value sequences in the
    table's column order."""
    return _READERS[name](absolute)


def _municipalities(absolute):
    rows = Municipality.objects.order_by("code").values_list(
        "code", "name", "level", "parent__code", "former_code", "is_active"
    )
    for row in rows.iterator(2000):
        yield (*row, absolute(reverse("catalog:municipality-detail", args=[row[0]])))


def _categories(_absolute):
    return Category.objects.order_by("order").values_list(
        "code", "name_ko", "name_en", "description_ko", "description_en", "order"
    )


def _subcategories(_absolute):
    return SubCategory.objects.order_by("category__order", "order", "code").values_list(
        "code", "category__code", "name_ko", "name_en", "description_ko", "description_en", "order"
    )


def _tags(_absolute):
    return Tag.objects.order_by("kind", "name").values_list("slug", "name", "kind")


def _plans(absolute):
    rows = Plan.objects.order_by("municipality__code", "title", "pk").values_list(
        "pk",
        "municipality__code",
        "title",
        "kind",
        "start_year",
        "end_year",
        "approved_on",
        "document_url",
        "source_url",
        "note",
    )
    for row in rows.iterator(2000):
        yield (*row, absolute(reverse("catalog:plan-detail", args=[row[0]])))


def _services(absolute):
    published = Service.objects.published().order_by("pk")
    return service_rows(published, absolute(reverse("catalog:service-list")))


def _service_tags(_absolute):
    links = Service.tags.through.objects.filter(service__is_published=True)
    return (
        links.order_by("service_id", "tag__kind", "tag__name")
        .values_list("service_id", "tag__slug")
        .iterator(5000)
    )


def _ideas(absolute):
    rows = (
        figures.shared_clusters()
        .order_by("pk")
        .values_list(
            "pk", "label", "is_confirmed", "municipality_count", "service_count", "explanation"
        )
    )
    for pk, label, confirmed, municipalities, services, explanation in rows.iterator(2000):
        url = absolute(reverse("analysis:idea-detail", args=[pk]))
        yield (pk, label, confirmed, municipalities, services, learning.describe(explanation), url)


def _idea_members(absolute):
    return in_columns(exporting.cluster_rows(absolute), exporting.CLUSTER_COLUMNS, ordered=False)


def _category_shares(_absolute):
    rows = exporting.share_rows(Service.objects.published())
    return in_columns(rows, exporting.SHARE_COLUMNS, ordered=False)


def _municipality_category_matrix(_absolute):
    rows = exporting.matrix_rows(Service.objects.published())
    return in_columns(rows, exporting.MATRIX_COLUMNS, ordered=False)


def _differentiation(_absolute):
    rows = exporting.municipality_rows()
    return in_columns(rows, exporting.MUNICIPALITY_COLUMNS, ordered=False)


_READERS = {
    "municipalities": _municipalities,
    "categories": _categories,
    "subcategories": _subcategories,
    "tags": _tags,
    "plans": _plans,
    "services": _services,
    "service_tags": _service_tags,
    "ideas": _ideas,
    "idea_members": _idea_members,
    "category_shares": _category_shares,
    "municipality_category_matrix": _municipality_category_matrix,
    "differentiation": _differentiation,
}
