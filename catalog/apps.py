from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"
    verbose_name = _("카탈로그")

    def ready(self):
        from catalog import revision
        from catalog.signals import ensure_sqlite_search_index

        post_migrate.connect(ensure_sqlite_search_index, sender=self)
        revision.connect()
