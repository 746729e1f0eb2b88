from django.apps import AppConfig


class BrokerConfig(AppConfig):
    name = "diagnostic.broker"
    label = "broker"
    verbose_name = "Relationship broker"
