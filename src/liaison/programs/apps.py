from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "liaison.programs"
    label = "programs"
    verbose_name = "Programs: events, advisory boards, congresses"

    def ready(self) -> None:
        """Add the HCP's events to the HCP profile, and move participations in a merge."""
        # Imported here: these modules import models, which load only once the app registry is ready.
        from liaison.people.extensions import HCPTab, register_hcp_tab, register_merge_step

        from .queries import hcp_events_tab

        register_hcp_tab(HCPTab("events", "Events", "event", 55, hcp_events_tab))
        register_merge_step("liaison.programs.actions.move_hcp_participations")
