from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("services/<int:pk>/", views.service_detail, name="service-detail"),
    path("municipalities/<str:code>/", views.municipality_detail, name="municipality-detail"),
    path("categories/<slug:code>/", views.category_detail, name="category-detail"),
]
