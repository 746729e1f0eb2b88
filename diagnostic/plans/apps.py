from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "diagnostic.plans"
    label = "plans"
    verbose_name = "Action plans"
