"""The staff's data-entry interface: declarative admin classes over the domain models."""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, Count, F, Func, Q, Value
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from leaflet.admin import LeafletGeoAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from settlements import rights, services
from settlements.coordination.forms import RightsInlineMixin, with_rights
from settlements.coordination.inlines import InRequestUnitFormSet, PledgeInline
from settlements.coordination.upload_admin import BulkUploadMixin
from settlements.matching import name_key
from settlements.models import (
    AdminArea,
    AidRequest,
    Camp,
    Delivery,
    ImportRun,
    ListEntry,
    Organization,
    ReviewItem,
    Settlement,
    SettlementAlias,
    format_quantity,
)

admin.site.site_header = _("AidTrack administration")
admin.site.site_title = "AidTrack"
admin.site.index_title = _("Settlements, camps, needs and deliveries")


class RecordsEditorMixin:
    """Save and delete through the services, inlines included: created_by / updated_by filled,
    maps and tables rebuilt once the change is committed, and settlements.rights deciding who may
    change which record (another organisation's opens read-only)."""

    def has_add_permission(self, request, *args):
        return rights.may(request.user, "add", self.model)

    def has_change_permission(self, request, obj=None):
        return rights.may(request.user, "change", obj or self.model)

    def has_delete_permission(self, request, obj=None):
        return rights.may(request.user, "delete", obj or self.model)

    def get_form(self, request, obj=None, **kwargs):
        return with_rights(super().get_form(request, obj, **kwargs), request.user)

    def get_changeform_initial_data(self, request):
        """A new request, pledge or delivery is, to begin with, the organisation's of a member of one."""
        initial = super().get_changeform_initial_data(request)
        field = rights.owner_field(self.model)
        mine = rights.organizations_of(request.user)
        if field not in (None, "id") and len(mine) == 1:
            initial.setdefault(field, next(iter(mine)))
        return initial

    def save_model(self, request, obj, form, change):
        # The form has validated; a delivery may have moved from another request.
        previous = form.initial.get("request") if isinstance(obj, Delivery) else None
        services.save_record(obj=obj, user=request.user, validate=False, previous_request_id=previous)

    def delete_model(self, request, obj):
        services.delete_record(obj=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.delete_record(obj=obj, user=request.user)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in instances:
            services.save_record(obj=obj, user=request.user, validate=False)
        for obj in formset.deleted_objects:
            services.delete_record(obj=obj, user=request.user)
        formset.save_m2m()


class GovernorateFilter(admin.SimpleListFilter):
    """Filter by governorate; `lookup` says how the model reaches one."""

    title = _("governorate")
    parameter_name = "governorate"
    lookups_via = ["governorate"]

    def lookups(self, request, model_admin):
        return AdminArea.objects.filter(level=AdminArea.Level.GOVERNORATE).values_list("pcode", "name_en")

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        condition = Q()
        for path in self.lookups_via:
            condition |= Q(**{f"{path}__pcode": self.value()})
        return queryset.filter(condition)


class TargetGovernorateFilter(GovernorateFilter):
    lookups_via = ["settlement__governorate", "camp__governorate"]


class DeliveryGovernorateFilter(GovernorateFilter):
    lookups_via = ["request__settlement__governorate", "request__camp__governorate"]


@admin.register(AdminArea)
class AdminAreaAdmin(admin.ModelAdmin):
    list_display = ["pcode", "name_en", "name_ar", "level", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["^pcode", "name_en", "name_ar", "aliases_text"]
    ordering = ["pcode"]

    def get_queryset(self, request):
        # Search the other spellings as one string, the way people type a name.
        aliases_text = Func(F("aliases"), Value(" | "), function="array_to_string", output_field=CharField())
        return super().get_queryset(request).annotate(aliases_text=aliases_text)


class SettlementAliasInline(RightsInlineMixin, admin.TabularInline):
    model = SettlementAlias
    fields = ["name", "language", "source"]
    extra = 0


class AidRequestInline(RightsInlineMixin, admin.TabularInline):
    model = AidRequest
    fields = ["category", "quantity", "unit", "priority", "needed_by", "requesting_organization", "status"]
    readonly_fields = ["status"]
    autocomplete_fields = ["requesting_organization"]
    show_change_link = True
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requesting_organization")


class SettlementAidRequestInline(AidRequestInline):
    fk_name = "settlement"


class CampAidRequestInline(AidRequestInline):
    fk_name = "camp"


class RefreshesTargetRequestsMixin:
    """Settlements and camps carry request inlines: re-derive those requests' status after a save."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.refresh_request_status(request_ids=form.instance.aid_requests.values_list("pk", flat=True))


@admin.register(Settlement)
class SettlementAdmin(RefreshesTargetRequestsMixin, RecordsEditorMixin, LeafletGeoAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "name_en",
        "name_ar",
        "pcode",
        "governorate",
        "district",
        "population",
        "open_requests",
        "on_latest_list",
        "last_listed",
        "last_confirmed",
        "unverified",
    ]
    list_select_related = ["governorate", "district"]
    ordering = ["name_en", "pk"]  # explicit: the open-request count groups rows, which drops Meta.ordering
    list_filter = [GovernorateFilter, "on_latest_list", "unverified", *Settlement.RESTORATION]
    search_fields = ["^pcode", "name_en", "name_ar", "aliases__name"]
    autocomplete_fields = ["governorate", "district", "sub_district"]
    readonly_fields = ["on_latest_list", "first_listed", "last_listed"]
    inlines = [SettlementAliasInline, SettlementAidRequestInline]
    fieldsets = [
        (None, {"fields": ["pcode", "name_en", "name_ar", "location"]}),
        (_("Administrative area"), {"fields": ["governorate", "district", "sub_district", "capital_level"]}),
        (
            _("Situation"),
            {
                "fields": [
                    "population",
                    "returnees",
                    "houses_destroyed",
                    "schools_destroyed",
                    "hospitals_destroyed",
                    *Settlement.RESTORATION,
                    "notes",
                ]
            },
        ),
        (
            _("Daily lists"),
            {"fields": ["on_latest_list", "first_listed", "last_listed", "last_confirmed", "unverified"]},
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_request_count=Count("aid_requests", filter=Q(aid_requests__status__in=AidRequest.OPEN_STATUSES))
            )
        )

    def get_search_results(self, request, queryset, search_term):
        """Also find a settlement by its name in any spelling or script: Кешбе finds Qeshbeh."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        key = name_key(search_term)
        if key:
            spelled = queryset.filter(Q(name_keys__contains=[key]) | Q(aliases__keys__contains=[key]))
            found = found | spelled
            may_have_duplicates = True
        return found, may_have_duplicates

    @admin.display(description=_("open requests"), ordering="open_request_count")
    def open_requests(self, obj):
        return obj.open_request_count


@admin.register(Organization)
class OrganizationAdmin(RecordsEditorMixin, SimpleHistoryAdmin):
    """Staff change their own organisations' details; Managers add organisations and decide who
    belongs to which."""

    list_display = ["name", "acronym", "kind", "member_count"]
    list_filter = ["kind"]
    search_fields = ["name", "acronym"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    def get_readonly_fields(self, request, obj=None):
        return [] if rights.edits_every_organization(request.user) else ["members"]

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


@admin.register(Camp)
class CampAdmin(RefreshesTargetRequestsMixin, RecordsEditorMixin, LeafletGeoAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "name_en",
        "name_ar",
        "governorate",
        "population_display",
        "capacity",
        "status",
        "managing_organization",
        "last_assessed",
    ]
    list_select_related = ["governorate", "managing_organization"]
    list_filter = [GovernorateFilter, "status"]
    search_fields = ["name_en", "name_ar", "near_settlement__name_en", "near_settlement__pcode"]
    autocomplete_fields = ["governorate", "near_settlement", "managing_organization"]
    inlines = [CampAidRequestInline]

    @admin.display(description=_("population"), ordering="population")
    def population_display(self, obj):
        if obj.population is None:
            return None
        return f"{obj.population:,} (estimate)" if obj.population_is_estimate else f"{obj.population:,}"


class DeliveryInline(RightsInlineMixin, admin.TabularInline):
    model = Delivery
    formset = InRequestUnitFormSet
    fields = ["quantity", "unit", "delivered_on", "delivering_organization", "pledge", "notes"]
    readonly_fields = ["unit"]
    autocomplete_fields = ["delivering_organization", "pledge"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("delivering_organization")


@admin.register(AidRequest)
class AidRequestAdmin(RecordsEditorMixin, LeafletGeoAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "id",
        "target",
        "governorate",
        "category",
        "priority",
        "status",
        "quantity_display",
        "delivered_display",
        "gap_display",
        "pledged_display",
        "uncovered_display",
        "needed_by",
        "requesting_organization",
    ]
    list_display_links = ["id", "target"]
    list_select_related = ["settlement__governorate", "camp__governorate", "requesting_organization"]
    list_filter = [TargetGovernorateFilter, "category", "priority", "status", "source", "settlement__on_latest_list"]
    search_fields = [
        "^settlement__pcode",
        "settlement__name_en",
        "settlement__name_ar",
        "settlement__aliases__name",
        "camp__name_en",
        "camp__name_ar",
        "description",
    ]
    autocomplete_fields = ["settlement", "camp", "requesting_organization"]
    readonly_fields = ["status", "status_set_by_staff", "delivered_display", "pledged_display", "uncovered_display"]
    readonly_fields += ["gap_display", "source"]
    readonly_fields += ["created_at", "created_by", "updated_at", "updated_by"]
    inlines = [PledgeInline, DeliveryInline]
    actions = ["mark_met", "mark_cancelled", "reopen"]
    fieldsets = [
        (_("Target: one settlement or one camp"), {"fields": ["settlement", "camp", "location"]}),
        (
            _("Need"),
            {"fields": ["category", "quantity", "unit", "priority", "needed_by", "requesting_organization"]},
        ),
        (
            _("Progress"),
            {"fields": ["status", "status_set_by_staff", "delivered_display", "pledged_display", "uncovered_display"]},
        ),
        (None, {"fields": ["description", "source", "created_at", "created_by", "updated_at", "updated_by"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_progress()

    @admin.display(description=_("governorate"))
    def governorate(self, obj):
        return obj.target.governorate if obj.target else None

    @admin.display(description=_("requested"), ordering="quantity")
    def quantity_display(self, obj):
        return f"{format_quantity(obj.quantity)} {obj.get_unit_display()}"

    @admin.display(description=_("delivered"), ordering="delivered")
    def delivered_display(self, obj):
        return f"{format_quantity(obj.delivered)}" if obj.pk else "-"

    @admin.display(description=_("gap"), ordering="gap")
    def gap_display(self, obj):
        return f"{format_quantity(obj.gap)}" if obj.pk else "-"

    @admin.display(description=_("pledged"), ordering="pledged")
    def pledged_display(self, obj):
        return f"{format_quantity(obj.pledged)}" if obj.pk else "-"

    @admin.display(description=_("uncovered"), ordering="uncovered")
    def uncovered_display(self, obj):
        return f"{format_quantity(obj.uncovered)}" if obj.pk else "-"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.refresh_request_status(request_ids=[form.instance.pk])

    def _set_status(self, request, change, queryset, messages_by_count):
        """Run a status `change` on the selected requests, all or none: one the user may not change
        (another organisation's) refuses the lot with the reason."""
        try:
            count = change(requests=queryset, user=request.user)
        except PermissionDenied as denial:
            self.message_user(request, str(denial), messages.ERROR)
        else:
            self.message_user(request, messages_by_count(count) % count, messages.SUCCESS)

    @admin.action(description=_("Mark selected requests as met"), permissions=["change"])
    def mark_met(self, request, queryset):
        met = partial(services.set_requests_status, status=AidRequest.Status.MET)
        self._set_status(
            request, met, queryset, lambda n: ngettext("%d aid request marked met.", "%d aid requests marked met.", n)
        )

    @admin.action(description=_("Cancel selected requests"), permissions=["change"])
    def mark_cancelled(self, request, queryset):
        cancel = partial(services.set_requests_status, status=AidRequest.Status.CANCELLED)
        self._set_status(
            request, cancel, queryset, lambda n: ngettext("%d aid request cancelled.", "%d aid requests cancelled.", n)
        )

    @admin.action(description=_("Reopen: let deliveries decide the status again"), permissions=["change"])
    def reopen(self, request, queryset):
        self._set_status(
            request,
            services.reopen_requests,
            queryset,
            lambda n: ngettext("%d aid request reopened.", "%d aid requests reopened.", n),
        )


@admin.register(Delivery)
class DeliveryAdmin(BulkUploadMixin, RecordsEditorMixin, SimpleHistoryAdmin):
    upload = "deliveries"

    list_display = ["id", "request", "quantity_display", "delivered_on", "delivering_organization"]
    list_select_related = [
        "request__settlement",
        "request__camp",
        "delivering_organization",
    ]
    list_filter = [DeliveryGovernorateFilter, "request__category", "delivered_on"]
    search_fields = ["request__settlement__name_en", "request__camp__name_en", "request__settlement__pcode", "notes"]
    autocomplete_fields = ["request", "delivering_organization", "pledge"]
    date_hierarchy = "delivered_on"
    readonly_fields = ["created_at", "created_by"]

    @admin.display(description=_("quantity"), ordering="quantity")
    def quantity_display(self, obj):
        return f"{format_quantity(obj.quantity)} {obj.get_unit_display()}"


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "list_date", "status", "format", "rows", "matched", "created", "unmatched", "errors"]
    list_display += ["warnings", "conflicts"]
    list_filter = ["status", "trigger", "format"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def view_on_site(self, obj):
        return reverse("imports:detail", args=[obj.pk])


class ReviewItemForm(forms.ModelForm):
    settlement = forms.ModelChoiceField(
        Settlement.objects.all(),
        label=_("settlement"),
        help_text=_("The settlement this row means. Its name becomes an alias, so the next list matches by itself."),
    )

    class Meta:
        model = ReviewItem
        fields = ["settlement"]


class ResolvedFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("waiting", _("waiting for review")), ("resolved", _("resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "resolved":
            return queryset.exclude(resolved_at=None)
        if self.value() == "waiting":
            return queryset.filter(resolved_at=None)
        return queryset


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    """List rows the import could not match for sure. Staff pick the settlement or add a new one."""

    form = ReviewItemForm
    list_display = ["name", "list_date", "row", "written_governorate", "message", "candidate_list", "settlement"]
    list_select_related = ["snapshot", "settlement"]
    list_filter = [ResolvedFilter, "governorate"]
    search_fields = ["name", "pcode", "message"]
    autocomplete_fields = ["settlement"]
    readonly_fields = ["list_date", "row", "name", "pcode", "governorate", "message", "candidate_list", "raw"]
    fields = [*readonly_fields, "settlement"]
    actions = ["create_settlements"]

    def get_queryset(self, request):
        reviewed = Q(outcome=ListEntry.Outcome.REVIEW) | Q(resolved_at__isnull=False)
        return super().get_queryset(request).filter(reviewed)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("list date"), ordering="snapshot__list_date")
    def list_date(self, obj):
        return obj.snapshot.list_date

    @admin.display(description=_("governorate (as written)"))
    def written_governorate(self, obj):
        return obj.values.get("governorate", "")

    @admin.display(description=_("candidates"))
    def candidate_list(self, obj):
        return ", ".join(f"{c['name']} ({c['pcode']})" for c in obj.candidates) or "-"

    def save_model(self, request, obj, form, change):
        try:
            services.resolve_review_item(
                entry=ListEntry.objects.get(pk=obj.pk), settlement=form.cleaned_data["settlement"], user=request.user
            )
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    @admin.action(description=_("Add the selected rows as new (unverified) settlements"), permissions=["change"])
    def create_settlements(self, request, queryset):
        for entry in queryset.filter(outcome=ListEntry.Outcome.REVIEW).select_related("snapshot"):
            try:
                settlement = services.create_settlement_from_review(entry=entry, user=request.user)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.WARNING)
            else:
                self.message_user(
                    request,
                    _("Added %(settlement)s from row %(row)s.") % {"settlement": settlement, "row": entry.row},
                    messages.SUCCESS,
                )


# Admin pages of the app's subpackages.
from settlements.alerts import admin as alerts_admin  # noqa: E402, F401
from settlements.coordination import admin as coordination_admin  # noqa: E402, F401
from settlements.corrections import admin as corrections_admin  # noqa: E402, F401
from settlements.sources import admin as sources_admin  # noqa: E402, F401
