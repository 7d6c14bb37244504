from django.contrib import admin

from .models import (
    Deal,
    Lot,
    Membership,
    MembershipTier,
    PointShare,
    PriceGuidance,
    ReferencePrice,
    SharedServicePoint,
)


@admin.register(MembershipTier)
class MembershipTierAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "name_zh", "annual_fee_cny", "votes", "is_active"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["organisation", "tier", "status", "member_since"]
    list_filter = ["status", "tier"]
    readonly_fields = ["decided_at", "decided_by"]


class PointShareInline(admin.TabularInline):
    model = PointShare
    extra = 0


@admin.register(SharedServicePoint)
class SharedServicePointAdmin(admin.ModelAdmin):
    list_display = ["service_point", "monthly_cost_cny", "opened_on", "closed_on"]
    inlines = [PointShareInline]


class ReferencePriceInline(admin.TabularInline):
    model = ReferencePrice
    extra = 0


@admin.register(PriceGuidance)
class PriceGuidanceAdmin(admin.ModelAdmin):
    list_display = ["title", "assessor", "effective_from", "status"]
    list_filter = ["status"]
    inlines = [ReferencePriceInline]


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = ["number", "seller", "status", "channel", "deadline"]
    list_filter = ["status", "channel"]

    def has_change_permission(self, request, obj=None):
        return False  # lots change only through the trading services, which keep the audit trail


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["lot", "seller", "buyer", "price_cny", "is_outlier", "concluded_at"]
    list_filter = ["channel", "is_outlier"]

    def has_change_permission(self, request, obj=None):
        return False
