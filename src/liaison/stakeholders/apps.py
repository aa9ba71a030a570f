from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    """Internal stakeholders of medical, their digests, delivery log and feedback."""

    name = "liaison.stakeholders"
    label = "stakeholders"
