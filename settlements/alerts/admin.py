from django.contrib import admin

from settlements.alerts.models import Notice, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "active", "after_import", "every_morning", "jump_percent", "updated_at"]
    list_filter = ["active", "after_import", "every_morning"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user", "areas"]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """What each user was told; written only by AidTrack."""

    list_display = ["created_at", "user", "kind", "happened_on", "settlement", "emailed_at", "read_at"]
    list_filter = ["kind", "happened_on"]
    list_select_related = ["user", "settlement"]
    search_fields = ["user__username", "settlement__name_en", "settlement__pcode"]
    readonly_fields = [f.name for f in Notice._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
