"""Where a record's write calls work that an app above it provides, inside the same transaction.

Logging an interaction (engagement) creates its inline insights (insights), screens all its free text for
adverse events (safety) and queues it for search (intel); an insight and an inquiry are screened and queued
too. The capture page checks text for adverse events while it is typed and offers the listening priorities an
inline insight may answer. Those apps sit above the writers in the layers (docs/architecture.md), so the writers call them through
the hooks below, and each provider fills its hook from its AppConfig.ready():

| hook               | called by                               | provided by                            |
|--------------------|-----------------------------------------|----------------------------------------|
| `screen_texts`     | engagement, insights, medinfo actions   | `safety.actions.screen_texts`          |
| `schedule_index`   | engagement, insights, medinfo actions   | `intel.tasks.schedule_index`           |
| `create_insight`   | `engagement.actions.log_interaction`    | `insights.actions.create_insight`      |
| `run_detector`     | the live AE check (`engagement.views`)  | `safety.detection.run_detector`        |
| `listening_priorities` | the capture form and API (engagement) | `insights.queries.listening_priorities` |

A provider names its function by dotted path, imported on the first call, so that setting Django up (every CLI
command, every worker) does not import the providers' modules. Calling a hook that no app provides raises
ImproperlyConfigured: safety screening can never be skipped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


class Hook:
    """One named call with exactly one provider."""

    def __init__(self, name: str, provider: str) -> None:
        self.name = name
        self.provider = provider
        self.path: str | None = None
        self._impl: Callable[..., Any] | None = None

    def provide(self, path: str) -> None:
        """Name the providing function, e.g. "liaison.safety.actions.screen_texts" (from AppConfig.ready())."""
        if self.path is not None and self.path != path:
            raise ImproperlyConfigured(f"hook {self.name} is provided twice ({self.path}, {path})")
        self.path = path

    @property
    def impl(self) -> Callable[..., Any]:
        """The providing function, imported on first use."""
        if self._impl is None:
            if self.path is None:
                raise ImproperlyConfigured(
                    f"hook {self.name} has no provider: is {self.provider} in INSTALLED_APPS?"
                )
            self._impl = import_string(self.path)
        return self._impl

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.impl(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name} -> {self.path}>"


screen_texts = Hook("screen_texts", "liaison.safety")
schedule_index = Hook("schedule_index", "liaison.intel")
create_insight = Hook("create_insight", "liaison.insights")
run_detector = Hook("run_detector", "liaison.safety")
listening_priorities = Hook("listening_priorities", "liaison.insights")
