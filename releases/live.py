"""Which release the live data matches, for the exports to say so.

Every export names what its figures would match: the newest release made at the catalog's
current revision with the latest successful duplication run, or else the live, unreleased
data. The name travels in the ``X-Catalog-Release`` response header (``2026.12.03`` or
``live``), in the download's file name (``…-release-2026.12.03-…``) and, in JSON, in the
``source`` object; a CSV's first line stays its column header.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from releases.models import Release

HEADER = "X-Catalog-Release"
LIVE = "live"
LIVE_STATUS = "live, not released"


@dataclass(frozen=True)
class Source:
    release: Release | None

    @property
    def label(self) -> str:
        return self.release.version if self.release else LIVE

    def file_stem(self, stem: str) -> str:
        """``stem`` naming the matching release, if there is one."""
        return f"{stem}-release-{self.release.version}" if self.release else stem

    def mark(self, response):
        response[HEADER] = self.label
        return response

    def describe(self, absolute: Callable[[str], str]) -> dict:
        """For a JSON export: the release, where to get it, or that the data is live."""
        release = self.release
        return {
            "release": release.version if release else None,
            "status": "released" if release else LIVE_STATUS,
            "release_url": absolute(release.get_download_url()) if release else None,
            "releases_url": absolute(reverse("releases:list")),
        }


def source() -> Source:
    """What the live data matches now (one query)."""
    return Source(Release.objects.matching_live().first())
