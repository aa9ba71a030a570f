from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "liaison.transparency"
    label = "transparency"
    verbose_name = "Transfers of value and transparency"

    def ready(self) -> None:
        """Add the yearly transfers summary to the HCP profile, and move transfers in a merge."""
        # Imported here: these modules import models, which load only once the app registry is ready.
        from liaison.people.extensions import HCPTab, register_hcp_tab, register_merge_step

        from .queries import hcp_transfers_tab

        register_hcp_tab(
            HCPTab("transfers", "Transfers of value", "transfer_of_value", 60, hcp_transfers_tab)
        )
        register_merge_step("liaison.transparency.actions.move_hcp_records")
