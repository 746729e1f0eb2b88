from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "diagnostic.analytics"
    label = "analytics"
