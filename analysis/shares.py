"""Category shares for any scope, as in the issue paper's table, and how cities differ.

All counting is done by the database (grouped queries); Python only arranges the grouped
rows into tables.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, QuerySet

from catalog.models import Category, Municipality

# A heatmap cell's colour step: how many of these shares (percent) the cell reaches.
HEAT_STEPS = (0.1, 5, 10, 20, 30, 45)


def share(count: int, total: int) -> float:
    """Percent to one decimal, rounded half up as the paper reports it (16.95 → 17.0)."""
    if not total:
        return 0.0
    exact = Decimal(count) * 100 / Decimal(total)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def category_shares(services: QuerySet) -> list[Category]:
    """The 12 fields with ``service_count`` and ``share`` (percent) of ``services``.

    Counts come from the database in one query; shares are then rounded exactly (half up)
    rather than from a float, so the table reproduces published percentages digit for digit.
    """
    categories = list(Category.objects.with_shares(services))
    total = sum(category.service_count for category in categories)
    for category in categories:
        category.share = share(category.service_count, total)
    return categories


def location_quotient(count: int, total: int, national_count: int, national_total: int):
    """(count / total) / (national_count / national_total), from counts, to two decimals;
    None when the field has no services nationally."""
    if not (total and national_count and national_total):
        return None
    return round((count * national_total) / (total * national_count), 2)


@dataclass
class MatrixCell:
    category: Category
    count: int
    share: float  # of the municipality's services
    quotient: float | None  # location quotient: this share / the national share
    heat: int  # 0 … len(HEAT_STEPS)


@dataclass
class MatrixRow:
    municipality: Municipality
    total: int
    cells: list[MatrixCell] = field(default_factory=list)


@dataclass
class Matrix:
    categories: list[Category]
    rows: list[MatrixRow]
    national: list[Category]  # with service_count and share over the whole catalog


def municipality_matrix(services: QuerySet, national_services: QuerySet) -> Matrix:
    """Municipality × field counts of ``services``, with each city's location quotients.

    The quotient compares a city's share of a field with the national share of all
    ``national_services``: above 1, the city plans relatively more of that field.
    """
    national = category_shares(national_services)
    national_count = {c.pk: c.service_count for c in national}
    national_total = sum(national_count.values())
    grouped = (
        services.order_by()
        .values("plan__municipality", "category")
        .annotate(n=Count("pk"))
        .values_list("plan__municipality", "category", "n")
    )
    counts: dict[int, dict[int, int]] = {}
    for municipality_id, category_id, n in grouped:
        counts.setdefault(municipality_id, {})[category_id] = n
    municipalities = Municipality.objects.filter(pk__in=counts).select_related("parent")
    categories = list(Category.objects.all())
    rows = []
    for municipality in municipalities.order_by("code"):
        by_category = counts[municipality.pk]
        total = sum(by_category.values())
        row = MatrixRow(municipality, total)
        for category in categories:
            n = by_category.get(category.pk, 0)
            local = share(n, total)
            row.cells.append(
                MatrixCell(
                    category,
                    n,
                    local,
                    location_quotient(n, total, national_count.get(category.pk, 0), national_total),
                    sum(local >= step for step in HEAT_STEPS),
                )
            )
        rows.append(row)
    return Matrix(categories, rows, national)
