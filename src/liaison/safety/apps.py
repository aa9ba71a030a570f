from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "liaison.safety"
    label = "safety"
