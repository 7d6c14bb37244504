from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.errors import ServiceError

from . import services
from .models import (
    Division,
    GuideSection,
    NetworkAlert,
    NetworkParameter,
    PointChangeRequest,
    ServicePoint,
    Transfer,
)


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "kind", "region", "district", "operator", "status"]
    list_filter = ["status", "kind", "region"]
    search_fields = ["code", "name_zh", "address"]
    # Status changes go through the review workflow (audited), not the admin.
    readonly_fields = ["status", "published_at"]
    # What the public sees of a published point changes only through the network's pages and API, which send
    # it back to review; the admin would publish it unreviewed.
    PUBLIC_MODEL_FIELDS = [
        "name_zh", "name_en", "kind", "address", "district", "region", "lat", "lon", "coordinate_input",
        "contact_phone", "phone_public", "opening_hours", "capacity_packs", "capacity_kg", "has_isolation_area",
        "has_fire_suppression", "can_test", "can_sort", "can_pre_dismantle", "automakers", "operator",
        "registered_by",
    ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == "published":
            return [*self.readonly_fields, *self.PUBLIC_MODEL_FIELDS]
        return self.readonly_fields


@admin.register(PointChangeRequest)
class PointChangeRequestAdmin(admin.ModelAdmin):
    """Decided through the service (the same checks and audit as the pages and the API), never edited."""

    list_display = ["point", "kind", "requested_by", "status", "created_at"]
    list_filter = ["status", "kind"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, approve: bool):
        for change in queryset.filter(status="pending"):
            try:
                services.point_change_decide(request=change, actor=request.user, approve=approve)
            except ServiceError as exc:
                self.message_user(request, f"{change}: {exc.message}", messages.ERROR)

    @admin.action(description=_("Approve the selected requests"))
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("Reject the selected requests"))
    def reject(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(NetworkParameter)
class NetworkParameterAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "confidence", "source"]


@admin.register(GuideSection)
class GuideSectionAdmin(admin.ModelAdmin):
    list_display = ["key", "order", "title_zh", "title_en", "is_active"]


admin.site.register(Division)
admin.site.register(Transfer)
admin.site.register(NetworkAlert)
