from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    """FHIR R4: the clinical record as resources, bulk export and import."""

    name = "needlechart.interop"
    label = "interop"
    verbose_name = _("FHIR interoperability")
