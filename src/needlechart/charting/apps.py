from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChartingConfig(AppConfig):
    name = "needlechart.charting"
    label = "charting"
    verbose_name = _("Charting")
