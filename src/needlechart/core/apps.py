from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "needlechart.core"
    label = "core"
