"""Data releases: frozen, versioned copies of what the catalog publishes, each one zip file.

A release is written once (``releases.building``) and never changes: its row records the
file's size and SHA-256 checksum, the catalog revision and the duplication run it was made
from, and its headline figures, so that pages and exports can say which release the live data
still matches without opening the file.
"""

from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from releases.querysets import ReleaseQuerySet

# 2026.12.03 is the first release of a day, 2026.12.03-2 the second.
VERSION_PATTERN = r"[0-9]{4}\.[0-9]{2}\.[0-9]{2}(?:-[0-9]{1,4})?"


class ReleaseChanged(Exception):
    """A saved release was about to be changed."""


class Release(models.Model):
    version = models.CharField(_("판"), max_length=20, unique=True)
    released_on = models.DateField(_("릴리스 날짜"))
    created_at = models.DateTimeField(_("만든 때"))
    notes = models.TextField(_("알림"), blank=True)
    made_by = models.CharField(_("만든 사람"), max_length=150, blank=True)
    catalog_revision = models.PositiveBigIntegerField(_("카탈로그 판"))
    duplication_run_id = models.PositiveBigIntegerField(
        _("중복 분석 실행"),
        null=True,
        blank=True,
        help_text=_("릴리스의 아이디어 묶음을 만든 실행 번호. 실행이 없었으면 비어 있습니다."),
    )
    file_name = models.CharField(_("파일"), max_length=100, unique=True)
    size = models.PositiveBigIntegerField(_("크기(바이트)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    counts = models.JSONField(_("행 수"), default=dict)
    figures = models.JSONField(_("주요 수치"), default=dict)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("데이터 릴리스")
        verbose_name_plural = _("데이터 릴리스")
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        constraints = [
            models.CheckConstraint(
                condition=Q(version__regex=f"^{VERSION_PATTERN}$"), name="release_version_format"
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="release_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.version

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ReleaseChanged(f"Release {self.version} is frozen; make a new release instead.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """Its place on the list of releases."""
        return f"{reverse('releases:list')}#release-{self.version}"

    def get_download_url(self) -> str:
        return reverse("releases:download", args=[self.version])

    def get_changes_url(self) -> str:
        return reverse("releases:changes", args=[self.version])

    @property
    def path(self) -> Path:
        return Path(settings.RELEASES_ROOT) / self.file_name
