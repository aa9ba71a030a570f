from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "liaison.metrics"
    label = "metrics"
    verbose_name = "Impact metrics"
