"""The partners' REST API: the same data, filters and rules as the pages and the admin."""

import csv
import io

from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from settlements import services
from settlements.api import serializers
from settlements.api.pagination import CursorPagination, GeoCursorPagination
from settlements.coordination import selectors as coordination
from settlements.coordination.filters import PledgeFilterSet, PresenceFilterSet
from settlements.exports.formats import export_response, neutralise
from settlements.filters import AidRequestFilterSet, CampFilterSet, SettlementFilterSet
from settlements.importing import uploads
from settlements.insights.trends import NOT_FILTERS, filtered_trends, settlement_trends
from settlements.models import (
    AdminArea,
    AidRequest,
    Camp,
    Delivery,
    ImportRun,
    ListEntry,
    ListSnapshot,
    Organization,
    Pledge,
    Settlement,
)
from settlements.sources.services import default_source
from settlements.tables import CAMPS, REQUESTS, SETTLEMENTS
from settlements.views.common import canonical_parameters


class TableRenderer(renderers.BaseRenderer):
    """CSV or HXL of a table resource. The rows themselves are streamed by the view (the table's
    export); what reaches this renderer is an error, written as field,message lines."""

    media_type = "text/csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["field", "message"])
        for field, messages in (data or {}).items():
            for message in messages if isinstance(messages, list) else [messages]:
                writer.writerow([field, neutralise(str(message))])
        return out.getvalue().encode()


class CSVRenderer(TableRenderer):
    format = "csv"


class HXLRenderer(TableRenderer):
    format = "hxl"


class TableExportMixin:
    """?format=csv or ?format=hxl on a list streams the page's export of the same filtered rows."""

    table = None
    pagination_class = GeoCursorPagination  # settlements, camps: GeoJSON; requests reset it below

    def get_renderers(self):
        if getattr(self, "action", None) == "list":
            return [*super().get_renderers(), CSVRenderer(), HXLRenderer()]
        return super().get_renderers()

    def list(self, request, *args, **kwargs):
        chosen = getattr(request.accepted_renderer, "format", None)
        if chosen in ("csv", "hxl"):
            rows = self.table.exported(self.filter_queryset(self.get_queryset()).order_by("pk"))
            return export_response(self.table, rows, chosen, request.query_params.dict())
        return super().list(request, *args, **kwargs)


class RecordViewSet(viewsets.ModelViewSet):
    """Create, update and delete through the same service as the admin."""

    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]

    def perform_destroy(self, instance):
        services.delete_record(obj=instance, user=self.request.user)


class SettlementViewSet(TableExportMixin, RecordViewSet):
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # settlements are never deleted
    queryset = Settlement.objects.select_related("governorate", "district", "sub_district")
    serializer_class = serializers.SettlementSerializer
    filterset_class = SettlementFilterSet
    ordering_fields = ["id", "pcode", "name_en", "population", "last_listed", "last_confirmed"]
    table = SETTLEMENTS

    @extend_schema(responses=serializers.SettlementTrendsSerializer, filters=False)
    @action(detail=True, filter_backends=[], pagination_class=None)
    def trends(self, request, pk=None):
        """What each daily list said of the settlement's figures, staff corrections, and the tonnes
        requested and delivered for it over time (cumulative)."""
        found = settlement_trends(self.get_object())
        return Response(serializers.SettlementTrendsSerializer(found).data)


class CampViewSet(TableExportMixin, RecordViewSet):
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    queryset = Camp.objects.select_related("governorate", "near_settlement")
    serializer_class = serializers.CampSerializer
    filterset_class = CampFilterSet
    ordering_fields = ["id", "name_en", "population", "capacity", "last_assessed"]
    table = CAMPS


class AidRequestViewSet(TableExportMixin, RecordViewSet):
    queryset = AidRequest.objects.with_progress().select_related("settlement")
    serializer_class = serializers.AidRequestSerializer
    filterset_class = AidRequestFilterSet
    pagination_class = CursorPagination
    ordering_fields = ["id", "priority", "quantity", "needed_by", "created_at"]
    table = REQUESTS

    def perform_create(self, serializer):
        super().perform_create(serializer)
        self._with_progress(serializer)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        self._with_progress(serializer)

    def _with_progress(self, serializer):
        """Answer with the saved request's delivered and gap, as a read would."""
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


class DeliveryViewSet(RecordViewSet):
    queryset = Delivery.objects.all()
    serializer_class = serializers.DeliverySerializer
    filterset_fields = ["request", "delivering_organization", "delivered_on", "pledge"]
    ordering_fields = ["id", "delivered_on", "quantity"]


class PledgeViewSet(RecordViewSet):
    queryset = Pledge.objects.with_delivered()
    serializer_class = serializers.PledgeSerializer
    filterset_class = PledgeFilterSet
    ordering_fields = ["id", "expected_on", "quantity", "created_at"]


class OrganizationViewSet(RecordViewSet):
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    queryset = Organization.objects.all()
    serializer_class = serializers.OrganizationSerializer
    filterset_fields = ["kind"]
    ordering_fields = ["id", "name"]


class ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]


class AdminAreaViewSet(ReadOnlyViewSet):
    queryset = AdminArea.objects.select_related("parent")
    serializer_class = serializers.AdminAreaSerializer
    pagination_class = GeoCursorPagination
    filterset_fields = ["level", "pcode"]
    ordering_fields = ["id", "pcode"]


class ImportRunViewSet(ReadOnlyViewSet):
    queryset = ImportRun.objects.select_related("list_source")
    serializer_class = serializers.ImportRunSerializer
    filterset_fields = ["status", "list_date", "list_source"]
    ordering_fields = ["id", "started_at", "list_date"]


class ListSnapshotViewSet(ReadOnlyViewSet):
    queryset = ListSnapshot.objects.all()
    serializer_class = serializers.ListSnapshotSerializer
    filterset_fields = ["list_date", "list_source"]
    ordering_fields = ["id", "list_date"]


class ListEntryViewSet(ReadOnlyViewSet):
    queryset = ListEntry.objects.select_related("settlement", "snapshot")
    serializer_class = serializers.ListEntrySerializer
    filterset_fields = ["snapshot", "outcome", "settlement__pcode"]
    ordering_fields = ["id", "row"]


PRESENCE_PARAMETERS = [
    OpenApiParameter("organization", OpenApiTypes.INT, many=True, description="Organisation id (repeatable)"),
    OpenApiParameter("governorate", OpenApiTypes.STR, description="Governorate P-code (SY04)"),
    OpenApiParameter("district", OpenApiTypes.STR, description="District P-code (SY0400)"),
    OpenApiParameter("sub_district", OpenApiTypes.STR, description="Sub-district P-code (SY040000)"),
    OpenApiParameter("category", OpenApiTypes.STR, many=True, enum=AidRequest.Category.values),
    OpenApiParameter("from", OpenApiTypes.DATE, description="Pledges and deliveries on or after this day"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Pledges and deliveries on or before this day"),
    OpenApiParameter("level", OpenApiTypes.INT, enum=[1, 2, 3], description="Areas to group by (default 2)"),
]


class PresenceView(APIView):
    """Who does what where: organisation x area x category, overlaps, areas nobody covers and the
    gap per area and category, with the /presence/ page's filters."""

    queryset = Delivery.objects.none()  # the model permission: viewing deliveries

    @extend_schema(parameters=PRESENCE_PARAMETERS, responses=serializers.PresenceSerializer)
    def get(self, request):
        filterset = PresenceFilterSet(request.query_params, queryset=Pledge.objects.none(), request=request)
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        found = coordination.picture(filterset)
        body = {
            "level": found.level,
            "rows": [entry.row() for entry in found.presence],
            "overlaps": [overlap.row() for overlap in found.overlaps],
            "uncovered_areas": found.uncovered_areas,
            "gaps": found.gaps,
        }
        return Response(serializers.PresenceSerializer(body).data)


TREND_PARAMETERS = [
    OpenApiParameter("governorate", OpenApiTypes.STR, description="Governorate P-code (SY04)"),
    OpenApiParameter("district", OpenApiTypes.STR, description="District P-code (SY0400)"),
    OpenApiParameter("category", OpenApiTypes.STR, enum=AidRequest.Category.values),
    OpenApiParameter("on_list", OpenApiTypes.BOOL),
]


class TrendsView(APIView):
    """The dashboard's charts as data, with the tables' filters: per list date the settlements on
    the list, added and dropped; per week the tonnes requested, delivered and pledged."""

    queryset = AidRequest.objects.none()  # the model permission: viewing aid requests

    @extend_schema(parameters=TREND_PARAMETERS, responses=serializers.TrendsSerializer)
    def get(self, request):
        settlements = SettlementFilterSet(request.query_params, queryset=Settlement.objects.all(), request=request)
        requests = AidRequestFilterSet(request.query_params, queryset=AidRequest.objects.all(), request=request)
        for filterset in (settlements, requests):
            if not filterset.is_valid():
                raise exceptions.ValidationError(filterset.errors)
        parameters = canonical_parameters(request, ignore=NOT_FILTERS)
        found = filtered_trends(settlements.qs, requests.qs, parameters=parameters)
        return Response(serializers.TrendsSerializer(found).data)


class RunsImports(permissions.BasePermission):
    """Starting an import needs the permission the Import page's buttons need."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("settlements.run_import"))


class ImportCreateView(APIView):
    """Upload a list as a source's: 202 with the queued run to follow (its `progress` until done),
    or with `dry_run` 200 and what the import would do, nothing written. The same readers, caps and
    rules as the command line and the upload page."""

    permission_classes = [RunsImports]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": serializers.ImportUploadSerializer},
        responses={202: serializers.ImportAcceptedSerializer, 200: serializers.DryRunSerializer},
    )
    def post(self, request):
        given = serializers.ImportUploadSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        source = data.get("source") or default_source()
        handed = data["file"]
        try:
            held = uploads.hold(content=handed.read(), name=handed.name, user=request.user, source=source)
        except uploads.UploadError as error:
            raise exceptions.ValidationError({"file": [str(error)]}) from None
        mapping = data.get("mapping")
        if data["dry_run"]:
            checked = uploads.dry_run(held, source, mapping, data.get("list_date"))
            return Response(checked.result.summary(), status=status.HTTP_200_OK)
        run = uploads.start_import(
            content_path=held.path,
            name=held.name,
            source=source,
            mapping=mapping,
            list_date=data.get("list_date"),
            user=request.user,
            remember_mapping=data["save_mapping"],
        )
        url = request.build_absolute_uri(reverse("api:importrun-detail", args=[run.pk]))
        return Response({"id": run.pk, "url": url, "status": run.status}, status=status.HTTP_202_ACCEPTED)
