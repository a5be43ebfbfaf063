from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analysis"
    verbose_name = _("분석")

    def ready(self):
        from analysis import panels as analysis_panels
        from analysis import spread
        from catalog import panels

        panels.register("service", analysis_panels.same_idea_elsewhere)
        panels.register("municipality", analysis_panels.similar_municipalities)
        spread.connect()
