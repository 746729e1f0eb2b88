from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "diagnostic.demo"
    label = "demo"
