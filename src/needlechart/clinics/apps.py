from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicsConfig(AppConfig):
    name = "needlechart.clinics"
    label = "clinics"
    verbose_name = _("Clinics")

    def ready(self) -> None:
        # Connect their receivers: sign-in and sign-out, failed sign-ins, reads by unapproved accounts.
        from needlechart.clinics import accounts, sessions, throttle  # noqa: F401
