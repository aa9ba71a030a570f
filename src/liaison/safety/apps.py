from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "liaison.safety"
    label = "safety"

    def ready(self) -> None:
        """Screen the free text of the records below (core/hooks.py), and deliver the outbox and escalate
        against the SLA on a schedule in every worker (core/schedule.py)."""
        # Imported here: these modules import models, which load only once the app registry is ready.
        from liaison.core import hooks
        from liaison.core.schedule import register_periodic

        from .tasks import DELIVERY_EVERY_SECONDS, deliver_on_schedule

        hooks.screen_texts.provide("liaison.safety.actions.screen_texts")
        hooks.run_detector.provide("liaison.safety.detection.run_detector")
        register_periodic("safety.deliver", DELIVERY_EVERY_SECONDS, deliver_on_schedule)
