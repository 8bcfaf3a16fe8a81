from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicsConfig(AppConfig):
    name = "needlechart.clinics"
    label = "clinics"
    verbose_name = _("Clinics")

    def ready(self) -> None:
        from needlechart.clinics import sessions  # noqa: F401 - connects the sign-in and sign-out receivers
