from django.contrib import admin
from django.urls import include, path

from aidtrack.health import healthz
from settlements.urls import import_patterns, map_patterns, table_patterns
from settlements.views.dashboard import dashboard

urlpatterns = [
    path("", dashboard, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("imports/", include((import_patterns, "imports"))),
    path("map/", include((map_patterns, "map"))),
    path("api/", include(("settlements.api.urls", "api"))),
    path("", include((table_patterns, "tables"))),
]
