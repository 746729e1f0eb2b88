from django.apps import AppConfig


class FrameworksConfig(AppConfig):
    name = "diagnostic.frameworks"
    label = "frameworks"
