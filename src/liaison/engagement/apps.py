from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "liaison.engagement"
    label = "engagement"
