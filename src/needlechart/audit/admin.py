from django.contrib import admin

from needlechart.audit.models import AuditEvent
from needlechart.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_username", "actor_role", "action", "object_type", "patient_id")
    list_filter = ("action",)
