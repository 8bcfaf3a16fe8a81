from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChartingConfig(AppConfig):
    name = "needlechart.charting"
    label = "charting"
    verbose_name = _("Charting")

    def ready(self) -> None:
        from needlechart.audit.checkpoints import register_signed_records
        from needlechart.charting.checkpoints import SIGNED_RECORDS

        register_signed_records("charting", SIGNED_RECORDS)
