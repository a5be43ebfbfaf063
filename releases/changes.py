"""What changed between a release and the one before it.

Services are compared from the two zips themselves (their ``services.csv``), by service id:
added, removed, and changed with the columns that differ. ``url`` (it follows the id) and
``updated_at`` (it moves on any save, even one that changes nothing published) are left out of
the comparison. Headline figures are compared from the figures each release recorded.
"""

import csv
import hashlib
import io
import json
import logging
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from catalog import revision
from catalog.spreadsheets import restore
from releases.models import Release
from releases.package import table

SERVICES = table("services")
NOT_COMPARED = {"service_id", "url", "updated_at"}
ADDED, REMOVED, CHANGED = "added", "removed", "changed"
FROZEN_SECONDS = 7 * 24 * 3600  # nothing a comparison depends on ever changes

logger = logging.getLogger(__name__)


class ReleaseUnreadable(Exception):
    """A release's file is missing or damaged (it was moved or changed on the server)."""


@dataclass(frozen=True)
class FieldChange:
    column: str
    previous: str
    current: str


@dataclass(frozen=True)
class ServiceChange:
    kind: str  # ADDED, REMOVED or CHANGED
    service_id: int
    service_name: str
    municipality_code: str
    municipality_name: str
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class FigureChange:
    figure: str
    category_code: str  # for a field's figures, else ""
    previous: int | float | None
    current: int | float | None

    @property
    def change(self) -> int | float | None:
        if self.previous is None or self.current is None:
            return None
        # Exact on the recorded decimals: 34.8 − 33.1 is 1.7, not 1.6999999999999957.
        difference = Decimal(str(self.current)) - Decimal(str(self.previous))
        return int(difference) if isinstance(self.current, int) else float(difference)


@dataclass(frozen=True)
class Changes:
    release: Release
    previous: Release | None
    services: tuple[ServiceChange, ...]  # added, then removed, then changed; each by id
    figures: tuple[FigureChange, ...]

    def of_kind(self, kind: str) -> list[ServiceChange]:
        return [change for change in self.services if change.kind == kind]


def since_previous(release: Release) -> Changes:
    previous = Release.objects.before(release).first()
    return Changes(
        release,
        previous,
        service_changes(release, previous),
        figure_changes(release, previous),
    )


def service_changes(release: Release, previous: Release | None) -> tuple[ServiceChange, ...]:
    """The services added, removed and changed since ``previous`` (none for a first release).

    Both files are frozen, so their checksums key the comparison for good: it is cached as if
    for a catalog revision that never moves.
    """
    if previous is None:
        return ()
    return revision.cached(
        "release-changes",
        f"{previous.sha256}:{release.sha256}",
        lambda: _compare(previous, release),
        timeout=FROZEN_SECONDS,
        number=0,
    )


def _compare(previous: Release, release: Release) -> tuple[ServiceChange, ...]:
    """Three passes over the files, holding a digest per service rather than its row (a
    catalog of 100,000 services is compared in a few megabytes): the previous release's
    digests; the release's rows against them; the previous rows of the services that changed
    or went."""
    before = {pk: digest for pk, digest, _cells in _digested(previous)}
    added, now, seen = [], {}, set()
    for pk, digest, cells in _digested(release):
        seen.add(pk)
        if pk not in before:
            added.append(_change(ADDED, _typed(cells)))
        elif before[pk] != digest:
            now[pk] = _typed(cells)
    gone = before.keys() - seen
    removed, changed = [], []
    for pk, _digest, cells in _digested(previous, only=now.keys() | gone):
        old = _typed(cells)
        if pk in gone:
            removed.append(_change(REMOVED, old))
            continue
        new = now[pk]
        fields = tuple(
            FieldChange(name, old[name], new[name]) for name in COMPARED if old[name] != new[name]
        )
        changed.append(_change(CHANGED, new, fields))
    return tuple(
        change
        for kind in (added, removed, changed)
        for change in sorted(kind, key=lambda change: change.service_id)
    )


COMPARED = tuple(name for name in SERVICES.column_names if name not in NOT_COMPARED)
_COMPARED_AT = [SERVICES.column_names.index(name) for name in COMPARED]


def _typed(cells: list[str]) -> dict[str, str]:
    """A row's cells by column, as typed: the formula guard taken off."""
    return dict(zip(SERVICES.column_names, map(restore, cells), strict=True))


def _digested(release: Release, only=None):
    """(id, digest of the compared cells, the cells) for each service of ``release`` (those in
    ``only``, if given)."""
    try:
        with zipfile.ZipFile(release.path) as archive, archive.open(SERVICES.path) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            if tuple(next(reader)) != SERVICES.column_names:
                raise ValueError("unexpected columns")
            for cells in reader:
                pk = int(cells[0])
                if only is not None and pk not in only:
                    continue
                compared = json.dumps([cells[at] for at in _COMPARED_AT], ensure_ascii=False)
                yield pk, hashlib.blake2b(compared.encode(), digest_size=16).digest(), cells
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        logger.error("Release %s cannot be read from %s: %s", release, release.path, error)
        raise ReleaseUnreadable(release.version) from error


def _change(kind: str, row: dict, fields: tuple[FieldChange, ...] = ()) -> ServiceChange:
    return ServiceChange(
        kind,
        int(row["service_id"]),
        row["service_name"],
        row["municipality_code"],
        row["municipality_name"],
        fields,
    )


HEADLINE = (
    "service_count",
    "plan_count",
    "municipality_count",
    "shared_idea_count",
    "duplicated_service_count",
    "duplication_rate_percent",
)
PER_FIELD = ("service_count", "share_percent")


def figure_changes(release: Release, previous: Release | None) -> tuple[FigureChange, ...]:
    """Each headline figure and each field's services and share, before and now."""
    before = previous.figures if previous else {}
    after = release.figures
    changes = [FigureChange(name, "", before.get(name), after.get(name)) for name in HEADLINE]
    fields_before = before.get("categories", {})
    fields_after = after.get("categories", {})
    for code in [*fields_after, *(code for code in fields_before if code not in fields_after)]:
        for name in PER_FIELD:
            changes.append(
                FigureChange(
                    f"category_{name}",
                    code,
                    fields_before.get(code, {}).get(name),
                    fields_after.get(code, {}).get(name),
                )
            )
    return tuple(changes)
