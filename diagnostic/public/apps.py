from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "diagnostic.public"
    label = "public"
