"""Category shares for any scope, as in the issue paper's table, and how cities differ.

Counted over the published catalog's ``idea_table`` (every scope is a selection of its rows);
Python only arranges the counted rows (one per field, or per municipality and field) into
tables.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.db.models import QuerySet

from analysis import idea_table
from catalog.models import Category, Municipality

FIELD_BITS = 16
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

    Shares are rounded exactly (half up) rather than from a float, so the table reproduces
    published percentages digit for digit.
    """
    table = idea_table.current()
    fields, counts = np.unique(table.fields[table.rows_in(services)], return_counts=True)
    count_of = dict(zip(fields.tolist(), counts.tolist(), strict=True))
    total = sum(count_of.values())
    categories = list(Category.objects.all())
    for category in categories:
        category.service_count = count_of.get(category.pk, 0)
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
    table = idea_table.current()
    chosen = table.rows_in(services)
    # Each (municipality, field) as one integer: the field in the low bits.
    keys, key_counts = np.unique(
        (table.places[chosen].astype(np.int64) << FIELD_BITS) | table.fields[chosen],
        return_counts=True,
    )
    counts: dict[int, dict[int, int]] = {}
    for key, n in zip(keys.tolist(), key_counts.tolist(), strict=True):
        counts.setdefault(key >> FIELD_BITS, {})[key & ((1 << FIELD_BITS) - 1)] = n
    found = table.municipalities()
    categories = national  # every field, in order
    rows = []
    for municipality in sorted((found[pk] for pk in counts), key=lambda m: m.code):
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
