from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "diagnostic.accounts"
    label = "accounts"
