from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from aidtrack.health import healthz

urlpatterns = [
    # The coordinators' dashboard will live at /; until then / opens the imports.
    path("", RedirectView.as_view(pattern_name="imports:list"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("imports/", include("settlements.urls")),
]
