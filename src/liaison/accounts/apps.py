from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "liaison.accounts"
    label = "accounts"
