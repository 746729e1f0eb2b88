from django.apps import AppConfig


class ConsolidationConfig(AppConfig):
    name = "diagnostic.consolidation"
    label = "consolidation"
    verbose_name = "Contributors and consolidation"
