from django.apps import AppConfig


class MedinfoConfig(AppConfig):
    name = "liaison.medinfo"
    label = "medinfo"
