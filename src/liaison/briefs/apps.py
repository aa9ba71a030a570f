from django.apps import AppConfig


class BriefsConfig(AppConfig):
    name = "liaison.briefs"
    label = "briefs"
    verbose_name = "Pre-call briefs"
