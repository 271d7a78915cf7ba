"""Conflicts between staff corrections and the daily lists: the review list where staff decide."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from settlements.corrections import services
from settlements.corrections.models import FigureConflict


@admin.register(FigureConflict)
class FigureConflictAdmin(admin.ModelAdmin):
    """What a list said against what staff set. Accepting takes the list's value; dismissing keeps staff's."""

    list_display = ["settlement", "field", "list_value", "list_date", "corrected_value", "corrected_by", "status"]
    list_select_related = ["settlement", "snapshot", "corrected_by"]
    list_filter = ["status", "field"]
    search_fields = ["settlement__pcode", "settlement__name_en", "settlement__name_ar"]
    readonly_fields = [f.name for f in FigureConflict._meta.fields]
    actions = ["accept_list_values", "keep_corrections"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("list date"), ordering="snapshot__list_date")
    def list_date(self, obj):
        return obj.snapshot.list_date

    def _decide(self, request, queryset, decide) -> None:
        done = 0
        for conflict in queryset.select_related("settlement"):
            try:
                decide(conflict=conflict, user=request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{conflict.settlement}: {exc.messages[0]}", messages.WARNING)
        if done:
            self.message_user(request, ngettext("%d conflict decided.", "%d conflicts decided.", done) % done)

    @admin.action(description=_("Accept the list's value"), permissions=["change"])
    def accept_list_values(self, request, queryset):
        self._decide(request, queryset, services.accept_list_value)

    @admin.action(description=_("Keep the staff correction"), permissions=["change"])
    def keep_corrections(self, request, queryset):
        self._decide(request, queryset, services.keep_correction)
