from django.apps import AppConfig


class IntelConfig(AppConfig):
    """Insight intelligence: stored embeddings, themes, near-duplicate signals, clusters, trends and search."""

    name = "liaison.intel"
    label = "intel"

    def ready(self) -> None:
        """Queue saved interactions, insights and inquiries for search (core/hooks.py)."""
        # Imported here: tasks imports models, which load only once the app registry is ready.
        from liaison.core import hooks

        from .tasks import schedule_index

        hooks.schedule_index.provide(schedule_index)
