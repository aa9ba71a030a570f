from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "liaison.insights"
    label = "insights"

    def ready(self) -> None:
        """Create an interaction's inline insights (core/hooks.py), add the listening priorities to the
        administration pages and insights to the HCP profile, and move insights in an HCP merge."""
        # Imported here: these modules import models, which load only once the app registry is ready.
        from liaison.accounts.views import register_admin_section
        from liaison.core import hooks
        from liaison.people.extensions import HCPTab, register_hcp_tab, register_merge_step

        from .admin_views import SECTION
        from .queries import hcp_insights

        hooks.create_insight.provide("liaison.insights.actions.create_insight")
        hooks.listening_priorities.provide("liaison.insights.queries.listening_priorities")
        register_admin_section(SECTION, after="products")
        register_hcp_tab(HCPTab("insights", "Insights", "insight", 40, hcp_insights))
        register_merge_step("liaison.insights.actions.move_hcp_records")
