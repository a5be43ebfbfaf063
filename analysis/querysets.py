"""Read paths of the analysis: pages and exports start from one of these."""

from django.db import models


class IdeaClusterQuerySet(models.QuerySet):
    def shared(self):
        """Clusters whose published members come from at least two municipalities (their
        ``municipality_count`` and ``service_count`` are kept by ``analysis.spread``)."""
        return self.filter(municipality_count__gte=2)

    def for_page(self):
        """Shared clusters with the run that found them, for an idea's page."""
        return self.shared().select_related("run")
