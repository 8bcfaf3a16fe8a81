from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The JSON API and the FHIR endpoints: clients, tokens, scopes and routers."""

    name = "needlechart.api"
    label = "api"
    verbose_name = _("API access")
