from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web shell: the Jinja2 environment, the page layout, middleware, sign-in and error pages."""

    name = "needlechart.web"
    label = "web"
