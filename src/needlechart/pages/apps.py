from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The pages that compose several apps: the chart, the visit, the day list, the audit reports."""

    name = "needlechart.pages"
    label = "pages"
