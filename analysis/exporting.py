"""The analysis tables that ``/analysis/export/<table>/`` serves and a data release freezes
(``releases``): field shares, the municipality × field matrix, the idea clusters with their
members, and the differentiation index. Rows are dicts keyed by the table's columns, for the
writers of ``catalog.spreadsheets``.

Links in the rows are made absolute by the caller's ``absolute`` (a request's
``build_absolute_uri``, or the site's public address for a release).
"""

from collections.abc import Callable, Iterator

from django.db.models import QuerySet

from analysis import figures, learning
from analysis.shares import category_shares, municipality_matrix
from catalog.models import Service

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


def share_rows(services: QuerySet) -> Iterator[dict]:
    for category in category_shares(services):
        yield {
            "category_code": category.code,
            "category_name": category.name_ko,
            "service_count": category.service_count,
            "share_percent": category.share,
        }


def matrix_rows(services: QuerySet) -> Iterator[dict]:
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


def cluster_rows(absolute: Callable[[str], str]) -> Iterator[dict]:
    """Every published member of every shared cluster. Clusters are catalogue-wide; no scope
    narrows them."""
    municipality_counts = dict(figures.shared_clusters().values_list("pk", "municipality_count"))
    why: dict[int, str] = {}  # one line per cluster, whatever its size
    idea_urls: dict[int, str] = {}
    for member in figures.shared_members().iterator(2000):
        municipality = member.service.plan.municipality
        if member.cluster_id not in why:
            why[member.cluster_id] = learning.describe(member.cluster.explanation)
            idea_urls[member.cluster_id] = absolute(member.cluster.get_absolute_url())
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


def municipality_rows() -> Iterator[dict]:
    """Every municipality with published services and its differentiation index, nationwide."""
    for row in figures.differentiation():
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
