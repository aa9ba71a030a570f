from django.apps import AppConfig


class MedinfoConfig(AppConfig):
    name = "liaison.medinfo"
    label = "medinfo"

    def ready(self) -> None:
        """Add inquiries to the HCP profile, and move them in a merge."""
        # Imported here: these modules import models, which load only once the app registry is ready.
        from liaison.people.extensions import HCPTab, register_hcp_tab, register_merge_step

        from .queries import hcp_inquiries

        register_hcp_tab(HCPTab("inquiries", "Inquiries", "inquiry", 50, hcp_inquiries))
        register_merge_step("liaison.medinfo.actions.move_hcp_records")
