from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from settlements.sources import services
from settlements.sources.models import ListSource, SourceDisagreement


@admin.register(ListSource)
class ListSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "list_url", "is_default", "language", "format", "schedule_link", "mapped"]
    list_filter = ["kind", "is_default"]
    search_fields = ["name", "url"]
    readonly_fields = ["schedule_link", "mapping_saved_by", "mapping_saved_at", "created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "kind", "url", "is_default", "language", "format", "notes"]}),
        (
            _("Reading its lists"),
            {"fields": ["column_mapping", "mapping_saved_by", "mapping_saved_at", "required_columns"]},
        ),
        (_("Schedule"), {"fields": ["schedule_link"]}),
    ]

    @admin.display(description=_("schedule"))
    def schedule_link(self, source):
        if source.schedule_id is None:
            return _("none (a source published at a URL gets one when saved)")
        url = reverse("admin:django_celery_beat_periodictask_change", args=[source.schedule_id])
        state = _("enabled") if source.schedule.enabled else _("disabled")
        return format_html('<a href="{}">{}</a> ({})', url, source.schedule, state)

    @admin.display(description=_("columns mapped by hand"))
    def mapped(self, source):
        return len(source.column_mapping)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("schedule")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.ensure_schedule(obj)

    def has_delete_permission(self, request, obj=None):
        # Lists keep their source: a source with lists on record stays.
        return super().has_delete_permission(request, obj) and (obj is None or not obj.snapshots.exists())


@admin.register(SourceDisagreement)
class SourceDisagreementAdmin(admin.ModelAdmin):
    """Found by the imports and decided on the review page (Imports > Sources that disagree)."""

    list_display = ["settlement", "field", "older_value", "newer_value", "status", "chosen", "decided_by", "found_at"]
    list_filter = ["status", "field"]
    list_select_related = ["settlement", "chosen__list_source", "decided_by"]
    search_fields = ["settlement__name_en", "settlement__pcode"]
    readonly_fields = [f.name for f in SourceDisagreement._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
