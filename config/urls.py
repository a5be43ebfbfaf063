from django.contrib import admin
from django.urls import include, path

from config.views import healthz

admin.site.site_header = "스마트도시 서비스 카탈로그 관리"
admin.site.site_title = "스마트도시 서비스 카탈로그"
admin.site.index_title = "데이터 관리"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # /analysis/… and the idea pages /ideas/<id>/.
    path("", include("analysis.urls")),
    # /data/: the data releases.
    path("", include("releases.urls")),
    path("", include("catalog.urls")),
]
