"""Read paths of the data releases."""

from django.db import models
from django.db.models import Exists, Q, Subquery

from analysis.models import DuplicationRun
from catalog import revision
from catalog.models import CatalogRevision


class ReleaseQuerySet(models.QuerySet):
    def newest_first(self):
        return self.order_by("-created_at", "-pk")

    def before(self, release):
        """Releases made before ``release``, newest first: the first is its predecessor."""
        earlier = Q(created_at__lt=release.created_at) | Q(
            created_at=release.created_at, pk__lt=release.pk
        )
        return self.filter(earlier).newest_first()

    def matching_live(self):
        """Releases whose data the live catalog still holds, newest first, in one query: made
        at the catalog's current revision and with its latest successful duplication run (or
        before any run, when none has succeeded yet)."""
        number = CatalogRevision.objects.filter(pk=revision.SINGLETON).values("number")
        runs = DuplicationRun.objects.filter(status=DuplicationRun.Status.SUCCEEDED)
        same_run = Q(duplication_run_id=Subquery(runs.values("pk")[:1]))
        no_run_yet = Q(duplication_run_id__isnull=True) & ~Exists(runs)
        return self.filter(same_run | no_run_yet, catalog_revision=Subquery(number)).newest_first()
