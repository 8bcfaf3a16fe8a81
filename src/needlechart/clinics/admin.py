from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from needlechart.clinics.models import Certification, Clinic, PractitionerProfile, User


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "clinic", "role", "is_active")
    list_filter = ("clinic", "role", "is_active")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Clinic", {"fields": ("clinic", "role", "preferred_language")}))


admin.site.register(Clinic)
admin.site.register(PractitionerProfile)
admin.site.register(Certification)
