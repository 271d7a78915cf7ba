from django.contrib import admin
from django.urls import include, path

from aidtrack.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("imports/", include("settlements.urls")),
]
