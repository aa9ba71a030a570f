from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "liaison.transparency"
    label = "transparency"
    verbose_name = "Transfers of value and transparency"
