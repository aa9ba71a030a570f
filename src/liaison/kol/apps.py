from django.apps import AppConfig


class KolConfig(AppConfig):
    name = "liaison.kol"
    label = "kol"
    verbose_name = "KOL intelligence"
