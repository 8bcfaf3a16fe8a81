from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomecareConfig(AppConfig):
    name = "needlechart.homecare"
    label = "homecare"
    verbose_name = _("Home programme")

    def ready(self) -> None:
        # The home programme is signed with the visit's note: charting asks its registry for it,
        # since it may not import homecare (above it).
        from needlechart.charting.signing import register_signing_contributor
        from needlechart.homecare.signing import SIGNING

        register_signing_contributor(SIGNING)
