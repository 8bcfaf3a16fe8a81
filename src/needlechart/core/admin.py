"""Django's admin, for superusers only, and never able to alter signed or audit rows."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class SuperuserAdminSite(admin.AdminSite):
    site_header = "needlechart administration"

    def has_permission(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


class NeedlechartAdminConfig(AdminConfig):
    default_site = "needlechart.core.admin.SuperuserAdminSite"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SignedRecordAdmin(admin.ModelAdmin):
    """Drafts may be inspected; signed records are read-only and undeletable."""

    actions = None

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (obj is not None and obj.is_signed)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
