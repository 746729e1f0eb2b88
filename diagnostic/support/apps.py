from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "diagnostic.support"
    label = "support"
    verbose_name = "Support targeting"
