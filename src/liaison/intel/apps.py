from django.apps import AppConfig


class IntelConfig(AppConfig):
    """Insight intelligence: stored embeddings, themes, near-duplicate signals, clusters, trends and search."""

    name = "liaison.intel"
    label = "intel"
