from django.contrib import admin

from .models import Batch, Licence, RecoveryThreshold, ThresholdEdition, WasteCategory


@admin.register(WasteCategory)
class WasteCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "chemistries", "confidence"]


class ThresholdInline(admin.TabularInline):
    model = RecoveryThreshold
    extra = 0


@admin.register(ThresholdEdition)
class ThresholdEditionAdmin(admin.ModelAdmin):
    list_display = ["code", "title_zh", "unexplained_mass_pct", "is_default"]
    inlines = [ThresholdInline]


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["number", "enterprise", "categories", "annual_scale_t", "valid_from", "valid_to"]
    raw_id_fields = ["enterprise", "registered_by"]


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "enterprise",
        "status",
        "edition",
        "input_kg",
        "has_shortfall",
        "has_unexplained_mass",
    ]
    raw_id_fields = ["enterprise", "created_by"]
