from django.urls import path

from analysis import views

app_name = "analysis"

urlpatterns = [
    path("analysis/", views.dashboard, name="dashboard"),
    path("analysis/method/", views.method, name="method"),
    path("analysis/method/lexicon.csv", views.lexicon_file, name="lexicon"),
    path("analysis/export/<slug:table>/", views.export, name="export"),
    path("ideas/<int:pk>/", views.idea_detail, name="idea-detail"),
    path("ideas/<int:pk>/export.csv", views.idea_export, name="idea-export"),
    path("ideas/<int:pk>/timeline.csv", views.idea_timeline, name="idea-timeline"),
    path("ideas/<int:pk>/fields.csv", views.idea_fields, name="idea-fields"),
]
