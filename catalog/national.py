"""Figures over the whole published catalog, computed once per catalog revision.

The home, category and municipality pages all show the national picture; at 100,000 services
counting it takes the database a few hundred milliseconds, and it only changes when the data
does. Each figure is cached under the catalog's revision (see ``catalog.revision``).
"""

from dataclasses import dataclass

from catalog import revision
from catalog.models import Category, Plan, Service


@dataclass(frozen=True)
class Totals:
    services: int
    municipalities: int
    plans: int


def totals() -> Totals:
    def count() -> Totals:
        services = Service.objects.published()
        return Totals(
            services=services.count(),
            municipalities=services.values("plan__municipality").distinct().count(),
            plans=Plan.objects.filter(services__is_published=True).distinct().count(),
        )

    return revision.cached("national-totals", "", count)


def category_shares() -> list[Category]:
    """The 12 fields, in order, with ``service_count`` and ``share`` over the catalog."""
    return revision.cached(
        "national-category-shares",
        "",
        lambda: list(Category.objects.with_shares(Service.objects.published())),
    )


def beside_national(categories) -> list[Category]:
    """``categories`` (annotated for some area) with ``national_count`` and
    ``national_share`` attached from the cached national figures."""
    national = {category.pk: category for category in category_shares()}
    categories = list(categories)
    for category in categories:
        category.national_count = national[category.pk].service_count
        category.national_share = national[category.pk].share
    return categories
