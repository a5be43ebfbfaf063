"""``/data/``: the releases, their files and what changed between them."""

import logging
from dataclasses import dataclass

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from catalog.models import Category
from catalog.spreadsheets import csv_response
from releases import changes, live
from releases.documents import citation_line
from releases.models import Release

# A release never changes: a browser or proxy may keep its file for a year without asking.
IMMUTABLE_SECONDS = 365 * 24 * 3600
CHANGES_SHOWN = 200

FIGURE_LABELS = {
    "service_count": _("공개 서비스"),
    "plan_count": _("계획"),
    "municipality_count": _("서비스가 있는 자치단체"),
    "shared_idea_count": _("여러 자치단체가 계획한 아이디어"),
    "duplicated_service_count": _("다른 곳에서도 계획한 아이디어의 서비스"),
    "duplication_rate_percent": _("중복률(%)"),
}

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listed:
    release: Release
    citation: str
    is_live: bool  # the live data still matches it


def release_list(request):
    matching = live.source().release
    listed = []
    for release in Release.objects.newest_first():
        url = request.build_absolute_uri(release.get_download_url())
        citation = citation_line(release.version, release.released_on.year, url)
        listed.append(Listed(release, citation, release == matching))
    return render(request, "releases/release_list.html", {"releases": listed})


@require_safe
def download(request, version: str):
    """The release's zip, served as the immutable file it is: its checksum is the ETag, and
    a client that has it gets a 304."""
    release = get_object_or_404(Release, version=version)
    etag = f'"{release.sha256}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        try:
            stream = release.path.open("rb")
        except OSError as error:
            logger.error("Release %s has no file at %s: %s", release, release.path, error)
            raise Http404 from error
        response = FileResponse(
            stream, as_attachment=True, filename=release.file_name, content_type="application/zip"
        )
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=IMMUTABLE_SECONDS, immutable=True)
    return response


def _changes_or_404(version: str) -> changes.Changes:
    release = get_object_or_404(Release, version=version)
    try:
        return changes.since_previous(release)
    except changes.ReleaseUnreadable as error:
        raise Http404 from error


def changes_page(request, version: str):
    found = _changes_or_404(version)
    english = (get_language() or "ko").startswith("en")
    column_titles = {
        column.name: column.en if english else column.ko for column in changes.SERVICES.columns
    }
    sections = [
        (kind, title, found.of_kind(kind))
        for kind, title in (
            (changes.ADDED, _("새로 실린 서비스")),
            (changes.REMOVED, _("빠진 서비스")),
            (changes.CHANGED, _("바뀐 서비스")),
        )
    ]
    context = {
        "release": found.release,
        "previous": found.previous,
        "figures": [
            (FIGURE_LABELS[figure.figure], figure)
            for figure in found.figures
            if not figure.category_code
        ],
        "field_figures": _per_field(found.figures),
        "sections": [
            {
                "kind": kind,
                "title": title,
                "count": len(rows),
                "rows": [
                    (row, [column_titles[field.column] for field in row.fields])
                    for row in rows[:CHANGES_SHOWN]
                ],
                "more": max(0, len(rows) - CHANGES_SHOWN),
            }
            for kind, title, rows in sections
        ],
    }
    return render(request, "releases/release_changes.html", context)


def _per_field(figures) -> list[tuple[str, changes.FigureChange, changes.FigureChange]]:
    """(field name, its services, its share) before and now, one per field."""
    names = {category.code: category.name for category in Category.objects.all()}
    by_field: dict[str, dict[str, changes.FigureChange]] = {}
    for figure in figures:
        if figure.category_code:
            by_field.setdefault(figure.category_code, {})[figure.figure] = figure
    return [
        (names.get(code, code), found["category_service_count"], found["category_share_percent"])
        for code, found in by_field.items()
    ]


SERVICE_CHANGE_COLUMNS = (
    "change",
    "service_id",
    "service_name",
    "municipality_code",
    "municipality_name",
    "column",
    "previous",
    "current",
)
FIGURE_CHANGE_COLUMNS = ("figure", "category_code", "previous", "current", "change")


def changes_export(request, version: str, table: str):
    """The changes page's tables as CSV: one row per service added or removed and per column
    of a changed service; one row per headline figure and per field's figure."""
    if table not in ("services", "figures"):
        raise Http404
    found = _changes_or_404(version)
    filename = f"smartcity-changes-{found.release.version}-{table}.csv"
    if table == "figures":
        rows = ((f.figure, f.category_code, f.previous, f.current, f.change) for f in found.figures)
        return csv_response(rows, FIGURE_CHANGE_COLUMNS, filename, ordered=True)
    return csv_response(_service_change_rows(found), SERVICE_CHANGE_COLUMNS, filename, ordered=True)


def _service_change_rows(found: changes.Changes):
    for change in found.services:
        who = (
            change.kind,
            change.service_id,
            change.service_name,
            change.municipality_code,
            change.municipality_name,
        )
        if not change.fields:
            yield (*who, "", "", "")
        for field in change.fields:
            yield (*who, field.column, field.previous, field.current)
