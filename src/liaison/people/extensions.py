"""Where apps above people plug into an HCP's pages and into an HCP merge, so that people imports none of them.

Each app registers from its AppConfig.ready(): a tab on the HCP profile (engagement: interactions; insights;
medinfo: inquiries), a row of the merge comparison, and a merge step that moves its records from the duplicate
to the survivor inside `people.actions.merge_hcps`'s transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from liaison.core.queries import changelog_for

if TYPE_CHECKING:
    from liaison.accounts.models import User

    from .models import HCP


@dataclass(frozen=True)
class HCPTab:
    """A tab of the HCP profile: shown to roles that may view `resource` (everyone when None); `rows(user, hcp)`
    gives its template's context, read through restrict()."""

    key: str
    label: str
    resource: str | None
    position: int
    rows: Callable[[Any, HCP], dict[str, Any]] | None = None


@dataclass(frozen=True)
class MergeComparison:
    """A row of the merge page's side-by-side comparison, for roles that may view `resource`."""

    label: str
    resource: str
    value: Callable[[Any, HCP], str]


_TABS: dict[str, HCPTab] = {}
_MERGE_STEPS: list[str] = []
_COMPARISONS: dict[str, MergeComparison] = {}


def register_hcp_tab(tab: HCPTab) -> None:
    _TABS[tab.key] = tab


def register_merge_step(path: str) -> None:
    """Name a function `step(duplicate, survivor)` (dotted path, imported when a merge runs) that moves the app's
    records naming the duplicate to the survivor, audited."""
    if path not in _MERGE_STEPS:
        _MERGE_STEPS.append(path)


def register_merge_comparison(comparison: MergeComparison) -> None:
    _COMPARISONS[comparison.label] = comparison


def hcp_tabs() -> list[HCPTab]:
    return sorted(_TABS.values(), key=lambda t: t.position)


def merge_steps() -> list[Callable[[HCP, HCP], None]]:
    return [import_string(path) for path in _MERGE_STEPS]


def merge_comparisons() -> list[MergeComparison]:
    return list(_COMPARISONS.values())


# People's own tabs.
register_hcp_tab(HCPTab("profile", "Profile", None, 10))
register_hcp_tab(HCPTab("preferences", "Preferences", None, 20))


def _changelog(user: User, hcp: HCP) -> dict[str, Any]:
    return {"events": list(changelog_for(hcp, user)[:200])}


register_hcp_tab(HCPTab("changelog", "Changelog", "audit_event", 90, _changelog))
