from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "diagnostic.reports"
    label = "reports"
