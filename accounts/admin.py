from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "uscc", "region", "is_regulator", "department"]
    list_filter = ["region", "is_regulator", "department"]
    search_fields = ["name_zh", "name_en", "uscc"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Organisation", {"fields": ("organisation", "role")}))
    list_display = ["username", "organisation", "role", "is_staff"]
    list_filter = ["role", "organisation__region"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
