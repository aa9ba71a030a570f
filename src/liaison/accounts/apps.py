from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    name = "liaison.accounts"
    label = "accounts"

    def ready(self) -> None:
        """Register the system checks of the sign-in settings and of API authentication."""
        # Imported here: checks imports the throttle's model, which loads only once the app registry is ready.
        from .checks import api_authentication, sign_in_settings

        checks.register(sign_in_settings, checks.Tags.security)
        checks.register(api_authentication, checks.Tags.security)
