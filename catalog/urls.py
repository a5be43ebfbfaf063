from django.urls import path

from catalog.views import pages

app_name = "catalog"

urlpatterns = [
    path("", pages.home, name="home"),
    path("services/<int:pk>/", pages.service_detail, name="service-detail"),
    path("municipalities/<str:code>/", pages.municipality_detail, name="municipality-detail"),
    path("categories/<slug:code>/", pages.category_detail, name="category-detail"),
]
