from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from settlements.api import views

router = DefaultRouter()
router.register("settlements", views.SettlementViewSet)
router.register("camps", views.CampViewSet)
router.register("admin-areas", views.AdminAreaViewSet)
router.register("organizations", views.OrganizationViewSet)
router.register("aid-requests", views.AidRequestViewSet)
router.register("deliveries", views.DeliveryViewSet)
router.register("pledges", views.PledgeViewSet)
router.register("import-runs", views.ImportRunViewSet)
router.register("list-snapshots", views.ListSnapshotViewSet)
router.register("list-entries", views.ListEntryViewSet)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file of its own, so the page needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("presence/", views.PresenceView.as_view(), name="presence"),
    path("trends/", views.TrendsView.as_view(), name="trends"),
    path("imports/", views.ImportCreateView.as_view(), name="imports"),
    path("", include(router.urls)),
]
