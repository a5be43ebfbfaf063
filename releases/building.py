"""Making a release: freeze what is published now into one zip, once.

1. Refused while a duplication run is in progress: the release holds the run lock
   (``analysis.worker.exclusive_run``) while it reads, so no run starts meanwhile either.
2. Every table is read and written into a temporary file beside the releases, with the
   documents that describe them. The catalog's revision is read before and after: a release
   whose data changed while it was read is made again from the start, so editing is never held
   up while a release is made.
3. The release's row is created and the file moved into place (``os.replace``, read-only) in
   one transaction; if anything fails, neither is left behind. An existing file is never
   overwritten: its version is skipped.

A dry run does all of this but the last step and needs no lock, as ``find_duplicates
--dry-run``.
"""

import hashlib
import itertools
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from analysis import figures as analysis_figures
from analysis.exporting import share_rows
from analysis.shares import share
from analysis.worker import RunInProgress, exclusive_run
from catalog import revision
from catalog.models import Service
from catalog.spreadsheets import csv_lines
from releases import documents, tables
from releases.documents import Metadata, Resource
from releases.models import Release
from releases.package import TABLES, Table

FILE_STEM = "smartcity-catalog"
ATTEMPTS = 3


class ReleaseRefused(Exception):
    """No release was made; the message says why."""


@dataclass(frozen=True)
class Made:
    version: str
    counts: dict[str, int]
    size: int
    sha256: str
    release: Release | None  # None after a dry run


def make_release(*, notes: str = "", made_by: str = "", dry_run: bool = False) -> Made:
    site_url = settings.SITE_URL
    if not site_url:
        raise ReleaseRefused(
            _(
                "SITE_URL이 설정되지 않았습니다. 릴리스의 링크와 인용에는 사이트의 공개 주소가 "
                "들어갑니다(예: SITE_URL=https://catalog.example.kr)."
            )
        )
    root = Path(settings.RELEASES_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    if dry_run:
        return _make(root, site_url, notes, made_by, dry_run=True)
    try:
        with exclusive_run():
            return _make(root, site_url, notes, made_by, dry_run=False)
    except RunInProgress as exc:
        raise ReleaseRefused(
            _(
                "중복 분석이 실행 중입니다(분석 작업자 또는 find_duplicates). 아무것도 쓰지 "
                "않았습니다. 실행이 끝난 뒤 다시 만드세요."
            )
        ) from exc


class _CatalogMoved(Exception):
    pass


def _make(root: Path, site_url: str, notes: str, made_by: str, *, dry_run: bool) -> Made:
    for _attempt in range(ATTEMPTS):
        try:
            return _make_once(root, site_url, notes, made_by, dry_run=dry_run)
        except _CatalogMoved:
            continue
    raise ReleaseRefused(
        _(
            "릴리스를 읽는 동안 카탈로그가 계속 바뀌어 아무것도 쓰지 않았습니다. 편집이 "
            "잠잠해지면 다시 만드세요."
        )
    )


def _make_once(root: Path, site_url: str, notes: str, made_by: str, *, dry_run: bool) -> Made:
    made_at = timezone.localtime()
    handle, name = tempfile.mkstemp(prefix=".release-", suffix=".zip.part", dir=root)
    os.close(handle)
    temporary = Path(name)
    placed: Path | None = None
    try:
        number = revision.current()
        run = analysis_figures.latest_run()
        version = next_version(made_at.date(), root)
        # The files are data: written in the catalog's own language, whoever makes them.
        with translation.override(settings.LANGUAGE_CODE):
            meta = _write(temporary, version, made_at, notes, site_url, number, run)
        size, checksum = temporary.stat().st_size, _sha256(temporary)
        if dry_run:
            _unchanged_since(number)
            return Made(version, meta.counts, size, checksum, None)
        with transaction.atomic():
            _unchanged_since(number)
            release = Release.objects.create(
                version=version,
                released_on=made_at.date(),
                created_at=made_at,
                notes=notes,
                made_by=made_by,
                catalog_revision=number,
                duplication_run_id=run.pk if run else None,
                file_name=file_name(version),
                size=size,
                sha256=checksum,
                counts=meta.counts,
                figures=meta.figures,
            )
            temporary.chmod(0o444)
            placed = root / release.file_name
            os.replace(temporary, placed)
    except BaseException:
        if placed is not None:
            placed.unlink(missing_ok=True)
        raise
    finally:
        temporary.unlink(missing_ok=True)
    return Made(version, meta.counts, size, checksum, release)


def _unchanged_since(number: int) -> None:
    """Every change to the catalog or its clusters moves the revision in its own transaction:
    the same number before and after the tables were read means they were read from one
    state of the data."""
    if revision.current() != number:
        raise _CatalogMoved


def file_name(version: str) -> str:
    return f"{FILE_STEM}-{version}.zip"


def next_version(day: date, root: Path) -> str:
    """``YYYY.MM.DD`` for the day's first release, ``YYYY.MM.DD-n`` for its n-th: the first
    that neither a release nor a file under ``root`` already has."""
    base = f"{day:%Y.%m.%d}"
    taken = set(Release.objects.filter(version__startswith=base).values_list("version", flat=True))
    candidates = (base if n == 1 else f"{base}-{n}" for n in itertools.count(1))
    return next(v for v in candidates if v not in taken and not (root / file_name(v)).exists())


def _write(path: Path, version, made_at, notes, site_url, number, run) -> Metadata:
    """Every table and the documents describing them, zipped into ``path``."""

    def absolute(location: str) -> str:
        return f"{site_url}{location}"

    stamp = made_at.timetuple()[:6]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        resources = tuple(
            _write_table(archive, table, tables.rows_of(table.name, absolute), stamp)
            for table in TABLES
        )
        meta = Metadata(
            version=version,
            created=made_at,
            notes=notes,
            site_url=site_url,
            catalog_revision=number,
            run=run,
            resources=resources,
            figures=headline_figures({r.table.name: r.rows for r in resources}),
        )
        descriptor = documents.datapackage(meta)
        _write_text(archive, "datapackage.json", _json(descriptor), stamp)
        _write_text(archive, "README.md", documents.readme(meta), stamp)
        _write_text(archive, "CITATION.cff", documents.citation_cff(meta), stamp)
    return meta


def _entry(name: str, stamp) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=stamp)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry


def _write_table(archive: zipfile.ZipFile, table: Table, rows, stamp) -> Resource:
    digest, size, counted = hashlib.sha256(), 0, _Counted(rows)
    with archive.open(_entry(table.path, stamp), "w", force_zip64=True) as out:
        for text in csv_lines(counted, table.column_names, with_bom=False, ordered=True):
            data = text.encode()
            digest.update(data)
            size += len(data)
            out.write(data)
    return Resource(table, counted.count, size, digest.hexdigest())


def _write_text(archive: zipfile.ZipFile, name: str, text: str, stamp) -> None:
    archive.writestr(_entry(name, stamp), text.encode())


class _Counted:
    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def headline_figures(counts: dict[str, int]) -> dict:
    """The figures a release's changes compare, consistent with its tables: the services,
    plans, municipalities with services and shared ideas counted, the services whose idea
    another municipality also plans (the members of shared ideas) and their share, and each
    field's services and share."""
    services = counts["services"]
    repeated = counts["idea_members"]
    return {
        "service_count": services,
        "plan_count": counts["plans"],
        "municipality_count": counts["differentiation"],
        "shared_idea_count": counts["ideas"],
        "duplicated_service_count": repeated,
        "duplication_rate_percent": share(repeated, services),
        "categories": {
            row["category_code"]: {
                "service_count": row["service_count"],
                "share_percent": row["share_percent"],
            }
            for row in share_rows(Service.objects.published())
        },
    }


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
