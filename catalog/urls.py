from django.urls import path, register_converter

from catalog.views import browse, exports, pages


class MunicipalityCode:
    """Five digits: anything else is a 404 before it reaches the database."""

    regex = "[0-9]{5}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(MunicipalityCode, "municipality_code")

app_name = "catalog"

urlpatterns = [
    path("", pages.home, name="home"),
    path("services/", browse.service_list, name="service-list"),
    path("services/export/", exports.service_export, name="service-export"),
    path("services/<int:pk>/", pages.service_detail, name="service-detail"),
    path("municipalities/", pages.municipality_list, name="municipality-list"),
    path(
        "municipalities/<municipality_code:code>/",
        pages.municipality_detail,
        name="municipality-detail",
    ),
    path("plans/<int:pk>/", pages.plan_detail, name="plan-detail"),
    path("categories/", pages.category_list, name="category-list"),
    path("categories/<slug:code>/", pages.category_detail, name="category-detail"),
    path("compare/", pages.compare, name="compare"),
]
