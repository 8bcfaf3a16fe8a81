from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeedlingConfig(AppConfig):
    name = "needlechart.needling"
    label = "needling"
    verbose_name = _("Needling session")

    def ready(self) -> None:
        # Signing a note freezes the needling facts and judgements and checks needling's gates:
        # charting asks its registry for them, since it may not import needling (above it).
        from needlechart.charting.signing import register_signing_contributor
        from needlechart.needling.signing import SIGNING

        register_signing_contributor(SIGNING)
