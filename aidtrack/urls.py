from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from aidtrack.health import healthz
from settlements.urls import (
    alert_patterns,
    export_patterns,
    import_patterns,
    map_patterns,
    presence_patterns,
    table_patterns,
)
from settlements.views.dashboard import dashboard, trends_csv
from settlements.views.language import switch_language
from settlements.views.reports import sitrep

urlpatterns = [
    path("", dashboard, name="home"),
    path("trends.csv", trends_csv, name="trends-csv"),
    path("healthz", healthz, name="healthz"),
    path("language/", switch_language, name="language"),
    path("jsi18n/", login_required(JavaScriptCatalog.as_view()), name="jsi18n"),
    path("admin/", admin.site.urls),
    path("imports/", include((import_patterns, "imports"))),
    path("map/", include((map_patterns, "map"))),
    path("exports/", include((export_patterns, "exports"))),
    path("presence/", include((presence_patterns, "presence"))),
    path("notices/", include((alert_patterns, "alerts"))),
    path("reports/sitrep/", sitrep, name="sitrep"),
    path("api/", include(("settlements.api.urls", "api"))),
    path("", include((table_patterns, "tables"))),
]
