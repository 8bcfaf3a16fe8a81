from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeedlingConfig(AppConfig):
    name = "needlechart.needling"
    label = "needling"
    verbose_name = _("Needling session")
