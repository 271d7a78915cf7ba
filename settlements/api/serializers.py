"""What the API reads and writes. Writes validate with the models' own rules (full_clean) and save
through settlements.services, exactly as the admin does."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from settlements import services
from settlements.importing.columns import check_mapping
from settlements.importing.progress import PHASES, progress_of
from settlements.models import (
    AdminArea,
    AidRequest,
    Camp,
    Delivery,
    ImportRun,
    ListEntry,
    ListSnapshot,
    ListSource,
    Organization,
    Pledge,
    Settlement,
)


class ServiceSaveMixin:
    """Create and update through services.save_record, with Django's validation errors as 400s."""

    def _save(self, instance, validated_data, previous_request_id=None):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        try:
            return services.save_record(
                obj=instance, user=self.context["request"].user, previous_request_id=previous_request_id
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from None
        except PermissionDenied as denial:
            raise exceptions.PermissionDenied(str(denial)) from None

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data, previous_request_id=getattr(instance, "request_id", None))


class FeatureSerializer(GeoFeatureModelSerializer):
    """A GeoJSON Feature in and out; anything else sent in is a 400, not a crash."""

    def to_internal_value(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("properties", {}), dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send a GeoJSON Feature: an object with geometry and properties."]}
            )
        return super().to_internal_value(data)


class AdminAreaSerializer(FeatureSerializer):
    parent = serializers.SlugRelatedField(slug_field="pcode", read_only=True, allow_null=True)

    class Meta:
        model = AdminArea
        geo_field = "centroid"
        fields = ["id", "pcode", "level", "name_en", "name_ar", "parent", "aliases", "centroid"]


class SettlementSerializer(ServiceSaveMixin, FeatureSerializer):
    governorate = serializers.SlugRelatedField(slug_field="pcode", queryset=AdminArea.objects.filter(level=1))
    district = serializers.SlugRelatedField(
        slug_field="pcode", queryset=AdminArea.objects.filter(level=2), required=False, allow_null=True
    )
    sub_district = serializers.SlugRelatedField(
        slug_field="pcode", queryset=AdminArea.objects.filter(level=3), required=False, allow_null=True
    )

    class Meta:
        model = Settlement
        geo_field = "location"
        fields = [
            "id",
            "pcode",
            "name_en",
            "name_ar",
            "location",
            "governorate",
            "district",
            "sub_district",
            "population",
            "returnees",
            "houses_destroyed",
            "schools_destroyed",
            "hospitals_destroyed",
            "water_supply",
            "electricity_supply",
            "demining",
            "notes",
            "on_latest_list",
            "first_listed",
            "last_listed",
            "last_confirmed",
            "unverified",
        ]
        read_only_fields = ["on_latest_list", "first_listed", "last_listed", "last_confirmed", "unverified"]


class OrganizationSerializer(ServiceSaveMixin, serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "acronym", "kind"]


class CampSerializer(ServiceSaveMixin, FeatureSerializer):
    governorate = serializers.SlugRelatedField(slug_field="pcode", queryset=AdminArea.objects.filter(level=1))
    near_settlement = serializers.SlugRelatedField(
        slug_field="pcode", queryset=Settlement.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Camp
        geo_field = "location"
        fields = [
            "id",
            "name_en",
            "name_ar",
            "location",
            "governorate",
            "near_settlement",
            "population",
            "population_is_estimate",
            "capacity",
            "status",
            "managing_organization",
            "access_constraints",
            "last_assessed",
            "notes",
        ]


class AidRequestSerializer(ServiceSaveMixin, serializers.ModelSerializer):
    settlement = serializers.SlugRelatedField(
        slug_field="pcode", queryset=Settlement.objects.all(), required=False, allow_null=True
    )
    delivered = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    gap = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    pledged = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    uncovered = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = AidRequest
        fields = [
            "id",
            "settlement",
            "camp",
            "location",
            "category",
            "quantity",
            "unit",
            "delivered",
            "gap",
            "pledged",
            "uncovered",
            "priority",
            "status",
            "needed_by",
            "requesting_organization",
            "description",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "source", "created_at", "updated_at"]
        # The model's own constraints (exactly one target, quantity > 0) are checked by full_clean.
        validators = []


class DeliverySerializer(ServiceSaveMixin, serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["id", "request", "quantity", "unit", "delivered_on", "delivering_organization", "pledge", "notes"]
        fields += ["created_at"]
        read_only_fields = ["created_at"]


class PledgeSerializer(ServiceSaveMixin, serializers.ModelSerializer):
    """A pledge in the request's unit (taken from the request when left out)."""

    unit = serializers.ChoiceField(choices=AidRequest.Unit.choices, required=False)
    delivered = serializers.SerializerMethodField()

    class Meta:
        model = Pledge
        fields = ["id", "organization", "request", "quantity", "unit", "expected_on", "status", "delivered", "notes"]
        fields += ["created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_delivered(self, pledge) -> str:
        return str(pledge.delivered())

    def validate(self, attrs):
        request = attrs.get("request") or getattr(self.instance, "request", None)
        if request is not None and not attrs.get("unit") and not getattr(self.instance, "unit", ""):
            attrs["unit"] = request.unit
        return attrs


class ImportProgressSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=PHASES)
    rows = serializers.IntegerField(help_text="Rows in the list (0 until it is read)")
    read = serializers.IntegerField()
    matched = serializers.IntegerField()
    written = serializers.IntegerField()
    percent = serializers.IntegerField(min_value=0, max_value=100)


class ImportRunSerializer(serializers.ModelSerializer):
    list_source = serializers.StringRelatedField(help_text="The list source's name")
    progress = serializers.SerializerMethodField()

    @extend_schema_field(ImportProgressSerializer)
    def get_progress(self, run) -> dict:
        return progress_of(run)

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "list_source",
            "progress",
            "source",
            "format",
            "list_date",
            "started_at",
            "finished_at",
            "sha256",
            "status",
            "trigger",
            *ImportRun.COUNTS,
            "row_errors",
            "row_warnings",
            "dropped_columns",
            "attempts",
            "error",
        ]


class ListSnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = ListSnapshot
        fields = ["id", "list_source", "list_date", "import_run", "source", "sha256", "columns"]


class ListEntrySerializer(serializers.ModelSerializer):
    settlement = serializers.SlugRelatedField(slug_field="pcode", read_only=True)
    list_date = serializers.DateField(source="snapshot.list_date", read_only=True)

    class Meta:
        model = ListEntry
        fields = [
            "id",
            "snapshot",
            "list_date",
            "row",
            "settlement",
            "outcome",
            "method",
            "score",
            "name",
            "pcode",
            "raw",
            "values",
            "message",
        ]


class PresenceRowSerializer(serializers.Serializer):
    """One organisation's work in one area for one category and unit."""

    organization = serializers.CharField()
    organization_acronym = serializers.CharField()
    organization_id = serializers.IntegerField()
    area_pcode = serializers.CharField()
    area_name = serializers.CharField()
    area_level = serializers.IntegerField()
    adm1_pcode = serializers.CharField()
    adm1_name = serializers.CharField()
    adm2_pcode = serializers.CharField(required=False)
    adm2_name = serializers.CharField(required=False)
    adm3_pcode = serializers.CharField(required=False)
    adm3_name = serializers.CharField(required=False)
    category = serializers.CharField()
    unit = serializers.CharField()
    requests_answered = serializers.IntegerField()
    pledges_open = serializers.IntegerField()
    pledged = serializers.DecimalField(max_digits=14, decimal_places=2)
    deliveries = serializers.IntegerField()
    delivered = serializers.DecimalField(max_digits=14, decimal_places=2)
    last_delivered = serializers.DateField(allow_null=True)


class OverlapSerializer(serializers.Serializer):
    target = serializers.CharField()
    area_pcode = serializers.CharField()
    category = serializers.CharField()
    organizations = serializers.ListField(child=serializers.CharField())
    first = serializers.DateField()
    last = serializers.DateField()


class UncoveredAreaSerializer(serializers.Serializer):
    area_pcode = serializers.CharField()
    area_name = serializers.CharField()
    needs = serializers.IntegerField()
    highest_priority = serializers.IntegerField()
    categories = serializers.ListField(child=serializers.CharField())


class AreaGapSerializer(serializers.Serializer):
    area_pcode = serializers.CharField()
    area_name = serializers.CharField()
    category = serializers.CharField()
    unit = serializers.CharField()
    count = serializers.IntegerField()
    requested = serializers.DecimalField(max_digits=14, decimal_places=2)
    delivered = serializers.DecimalField(max_digits=14, decimal_places=2)
    pledged = serializers.DecimalField(max_digits=14, decimal_places=2)
    uncovered = serializers.DecimalField(max_digits=14, decimal_places=2)


class PresenceSerializer(serializers.Serializer):
    """Who does what where, with the same filters as /presence/."""

    level = serializers.IntegerField()
    rows = PresenceRowSerializer(many=True)
    overlaps = OverlapSerializer(many=True)
    uncovered_areas = UncoveredAreaSerializer(many=True)
    gaps = AreaGapSerializer(many=True)


class CorrectionPointSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    date = serializers.DateField()
    by = serializers.CharField()


class ProgressSeriesSerializer(serializers.Serializer):
    dates = serializers.ListField(child=serializers.DateField())
    requested = serializers.ListField(child=serializers.FloatField())
    delivered = serializers.ListField(child=serializers.FloatField())


class SettlementTrendsSerializer(serializers.Serializer):
    """A settlement's figures per list date (null where a list did not give one), staff
    corrections, and tonnes requested and delivered over time (cumulative)."""

    dates = serializers.ListField(child=serializers.DateField())
    figures = serializers.DictField(child=serializers.ListField(child=serializers.FloatField(allow_null=True)))
    statuses = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(allow_null=True)),
        help_text="water_supply, electricity_supply and demining per list date (null where the list said nothing).",
    )
    corrections = CorrectionPointSerializer(many=True)
    progress = ProgressSeriesSerializer()


class ListDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    on_list = serializers.IntegerField()
    added = serializers.IntegerField()
    dropped = serializers.IntegerField()


class WeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The Monday the week starts on.")
    requested = serializers.FloatField()
    delivered = serializers.FloatField()
    pledged = serializers.FloatField()


class TrendsSerializer(serializers.Serializer):
    lists = ListDaySerializer(many=True)
    weeks = WeekSerializer(many=True)


@extend_schema_field(OpenApiTypes.STR)
class SourceField(serializers.RelatedField):
    """A list source by id or by name."""

    default_error_messages = {"unknown": "No list source has the id or name {value!r}."}

    def to_internal_value(self, data):
        text = str(data).strip()
        found = ListSource.objects.filter(pk=int(text)) if text.isdigit() else ListSource.objects.filter(name=text)
        source = found.first()
        if source is None:
            self.fail("unknown", value=text)
        return source

    def to_representation(self, value):
        return value.name


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The list: CSV, HXL, XLSX, DOCX or JSON, at most IMPORT_MAX_BYTES")
    source = SourceField(
        queryset=ListSource.objects.all(),
        required=False,
        help_text="The list source's id or name (default: the default source)",
    )
    mapping = serializers.JSONField(
        required=False,
        binary=True,
        help_text='Column header -> field ("name", "pcode", "governorate", ..., "notes") or "ignore"; '
        "the source's saved mapping when left out",
    )
    save_mapping = serializers.BooleanField(default=False, help_text="Keep `mapping` on the source for its later lists")
    dry_run = serializers.BooleanField(default=False, help_text="Check the list and answer with what would happen")
    list_date = serializers.DateField(
        required=False, allow_null=True, help_text="Default: the date in the list or its name, else today"
    )

    def validate_mapping(self, value):
        try:
            return check_mapping(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate_file(self, value):
        if value.size > settings.IMPORT_MAX_BYTES:
            raise serializers.ValidationError(
                f"The file is larger than IMPORT_MAX_BYTES ({settings.IMPORT_MAX_BYTES:,} bytes)."
            )
        return value


class ImportAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The import run")
    url = serializers.URLField(help_text="GET it for the run's status, counts and progress")
    status = serializers.CharField()


class DryRunSerializer(serializers.Serializer):
    status = serializers.CharField()
    list_source = serializers.CharField()
    format = serializers.CharField()
    list_date = serializers.DateField(allow_null=True)
    rows = serializers.IntegerField()
    matched = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    removed = serializers.IntegerField()
    unmatched = serializers.IntegerField()
    errors = serializers.IntegerField()
    warnings = serializers.IntegerField()
    error = serializers.CharField()
