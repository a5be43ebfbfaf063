from django.urls import path, register_converter

from releases import views
from releases.models import VERSION_PATTERN


class ReleaseVersion:
    """2026.12.03 or 2026.12.03-2: anything else is a 404 before it reaches the database."""

    regex = VERSION_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReleaseVersion, "release_version")

app_name = "releases"

urlpatterns = [
    path("data/", views.release_list, name="list"),
    path("data/<release_version:version>.zip", views.download, name="download"),
    path("data/<release_version:version>/changes/", views.changes_page, name="changes"),
    path(
        "data/<release_version:version>/changes/<slug:table>.csv",
        views.changes_export,
        name="changes-export",
    ),
]
