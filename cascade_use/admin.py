from django.contrib import admin

from .models import Authorisation, RepurposedProduct, SafetyAssessment, Scenario, WasteDeadlineRule


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "family",
        "name_zh",
        "name_en",
        "min_soh_pct",
        "max_soh_pct",
        "confidence",
        "is_active",
    ]


@admin.register(WasteDeadlineRule)
class WasteDeadlineRuleAdmin(admin.ModelAdmin):
    list_display = ["reason", "days", "confidence", "source"]


@admin.register(Authorisation)
class AuthorisationAdmin(admin.ModelAdmin):
    list_display = ["document_ref", "battery_maker", "enterprise", "valid_from", "valid_to", "revoked_at"]
    raw_id_fields = ["battery_maker", "enterprise", "granted_by", "revoked_by"]


@admin.register(SafetyAssessment)
class SafetyAssessmentAdmin(admin.ModelAdmin):
    list_display = ["battery", "enterprise", "assessed_at", "soh_pct", "verdict"]
    raw_id_fields = ["battery", "enterprise", "assessor"]


@admin.register(RepurposedProduct)
class RepurposedProductAdmin(admin.ModelAdmin):
    list_display = ["battery", "name", "scenario", "site_region", "status"]
    raw_id_fields = ["battery", "enterprise", "created_by"]
