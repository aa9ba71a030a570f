from django.apps import AppConfig


class LoopConfig(AppConfig):
    """The insight-to-action loop (label "loop")."""

    name = "liaison.loop"
    label = "loop"
    verbose_name = "Insight-to-action loop"
