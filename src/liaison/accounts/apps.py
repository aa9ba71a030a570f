from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    name = "liaison.accounts"
    label = "accounts"

    def ready(self) -> None:
        """Register the system checks of the sign-in settings."""
        from .checks import sign_in_settings  # models are loaded only once the app registry is ready

        checks.register(sign_in_settings, checks.Tags.security)
