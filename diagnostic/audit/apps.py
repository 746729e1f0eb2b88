from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "diagnostic.audit"
    label = "audit"
