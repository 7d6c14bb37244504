from django.contrib import admin

from .models import Division, GuideSection, NetworkAlert, NetworkParameter, ServicePoint, Transfer


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "kind", "region", "district", "operator", "status"]
    list_filter = ["status", "kind", "region"]
    search_fields = ["code", "name_zh", "address"]
    # Status changes go through the review workflow (audited), not the admin.
    readonly_fields = ["status", "published_at"]


@admin.register(NetworkParameter)
class NetworkParameterAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "confidence", "source"]


@admin.register(GuideSection)
class GuideSectionAdmin(admin.ModelAdmin):
    list_display = ["key", "order", "title_zh", "title_en", "is_active"]


admin.site.register(Division)
admin.site.register(Transfer)
admin.site.register(NetworkAlert)
