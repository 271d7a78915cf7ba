from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from settlements.admin import DeliveryGovernorateFilter, RecordsEditorMixin
from settlements.coordination.models import Pledge
from settlements.coordination.upload_admin import BulkUploadMixin
from settlements.models import format_quantity


@admin.register(Pledge)
class PledgeAdmin(BulkUploadMixin, RecordsEditorMixin, SimpleHistoryAdmin):
    upload = "pledges"

    list_display = ["id", "request", "organization", "quantity_display", "expected_on", "status"]
    list_select_related = ["request__settlement", "request__camp", "organization"]
    list_filter = [DeliveryGovernorateFilter, "status", "request__category", "organization", "expected_on"]
    search_fields = [
        "organization__name",
        "organization__acronym",
        "request__settlement__name_en",
        "request__settlement__pcode",
        "request__camp__name_en",
        "notes",
    ]
    autocomplete_fields = ["request", "organization"]
    date_hierarchy = "expected_on"
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]

    @admin.display(description=_("quantity"), ordering="quantity")
    def quantity_display(self, obj):
        return f"{format_quantity(obj.quantity)} {obj.get_unit_display()}"
