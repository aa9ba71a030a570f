from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "liaison.compliance"
    label = "compliance"
    verbose_name = "Compliance"
