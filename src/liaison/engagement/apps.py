from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "liaison.engagement"
    label = "engagement"

    def ready(self) -> None:
        """Add interactions to the HCP profile and the merge page, and move them in a merge."""
        # Imported here: these modules import models, which load only once the app registry is ready.
        from liaison.people.extensions import (
            HCPTab,
            MergeComparison,
            register_hcp_tab,
            register_merge_comparison,
            register_merge_step,
        )

        from .queries import hcp_interactions, visible_interaction_count

        register_hcp_tab(HCPTab("interactions", "Interactions", "interaction", 30, hcp_interactions))
        register_merge_comparison(
            MergeComparison("Interactions you can see", "interaction", visible_interaction_count)
        )
        register_merge_step("liaison.engagement.actions.move_hcp_records")
