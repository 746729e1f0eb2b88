from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "diagnostic.organisations"
    label = "organisations"
    verbose_name = "Organisation register"
