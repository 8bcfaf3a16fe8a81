from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "needlechart.analytics"
    label = "analytics"
    verbose_name = _("Clinic analytics")

    def ready(self) -> None:
        from needlechart.analytics import signals  # noqa: F401
