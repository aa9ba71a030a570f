from django.apps import AppConfig
from django.conf import settings


class ComplianceConfig(AppConfig):
    name = "liaison.compliance"
    label = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        """Anchor the audit chain head outside the database on a schedule in the worker (compliance/anchors.py)."""
        # Imported here: these modules import models, which load only once the app registry is ready.
        from liaison.core.schedule import register_periodic

        from . import checks  # noqa: F401 - registers the deployment checks
        from .anchors import anchor_on_schedule

        register_periodic("audit.anchor", lambda: settings.LIAISON_AUDIT_ANCHOR_SECONDS, anchor_on_schedule)
