from django.urls import path

from analysis import views

app_name = "analysis"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("method/", views.method, name="method"),
    path("method/lexicon.csv", views.lexicon_file, name="lexicon"),
    path("export/<slug:table>/", views.export, name="export"),
]
