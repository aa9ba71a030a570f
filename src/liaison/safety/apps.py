from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "liaison.safety"
    label = "safety"

    def ready(self) -> None:
        """Deliver the outbox and escalate against the SLA on a schedule in every worker (core/schedule.py)."""
        from liaison.core.schedule import register_periodic

        from .tasks import DELIVERY_EVERY_SECONDS, deliver_on_schedule

        register_periodic("safety.deliver", DELIVERY_EVERY_SECONDS, deliver_on_schedule)
