from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "diagnostic.api"
    label = "api"
    verbose_name = "JSON API"
