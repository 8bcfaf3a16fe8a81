from django.contrib import admin

from needlechart.charting.models import Addendum, Note
from needlechart.core.admin import SignedRecordAdmin

admin.site.register(Note, SignedRecordAdmin)
admin.site.register(Addendum, SignedRecordAdmin)
