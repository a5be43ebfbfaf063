from django.urls import path

from catalog.views import browse, exports, pages

app_name = "catalog"

urlpatterns = [
    path("", pages.home, name="home"),
    path("services/", browse.service_list, name="service-list"),
    path("services/export/", exports.service_export, name="service-export"),
    path("services/<int:pk>/", pages.service_detail, name="service-detail"),
    path("municipalities/", pages.municipality_list, name="municipality-list"),
    path("municipalities/<str:code>/", pages.municipality_detail, name="municipality-detail"),
    path("categories/", pages.category_list, name="category-list"),
    path("categories/<slug:code>/", pages.category_detail, name="category-detail"),
    path("compare/", pages.compare, name="compare"),
]
