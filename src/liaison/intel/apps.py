from django.apps import AppConfig

from liaison.core import hooks


class IntelConfig(AppConfig):
    """Insight intelligence: stored embeddings, themes, near-duplicate signals, clusters, trends and search."""

    name = "liaison.intel"
    label = "intel"

    def ready(self) -> None:
        """Queue saved interactions, insights and inquiries for search (core/hooks.py)."""
        hooks.schedule_index.provide("liaison.intel.tasks.schedule_index")
