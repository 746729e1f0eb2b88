from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "diagnostic.practice"
    label = "practice"
    verbose_name = "Good practice"
