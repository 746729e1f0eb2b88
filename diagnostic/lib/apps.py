from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "diagnostic.lib"
    label = "lib"

    def ready(self):
        from diagnostic.lib import checks  # noqa: F401  (registers the system checks)
