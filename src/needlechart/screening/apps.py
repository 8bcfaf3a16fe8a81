from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "needlechart.screening"
    label = "screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        # The calendar's appointment panel offers the intake link (the calendar cannot import screening).
        from needlechart.scheduling.panel import register_panel_action
        from needlechart.screening.calendar_actions import intake_link_action

        register_panel_action(intake_link_action)
