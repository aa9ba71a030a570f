"""Forms of the KOL pages: ranking filters, the what-if weights, snapshot pickers and identity decisions.

Forms only collect and type-check; the decision itself is validated again by `actions.decide_link`.
"""

from __future__ import annotations

from typing import Any

from django import forms

from liaison.core.forms import LiaisonForm, field_of

from .models import LinkStatus
from .score_math import COMPONENTS

MAX_WEIGHT = 100.0


class RankingFilterForm(LiaisonForm):
    """Area, snapshot and "rising stars only" of the ranking page; choices are what the user may view."""

    area = forms.ChoiceField(label="Therapeutic area", required=False)
    snapshot = forms.ChoiceField(label="Snapshot", required=False)
    rising = forms.BooleanField(label="Rising stars only", required=False)

    def __init__(self, *args: Any, areas: list[Any], snapshots: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "area", forms.ChoiceField).choices = [(str(a.uuid), a.name) for a in areas]
        field_of(self, "snapshot", forms.ChoiceField).choices = [
            (str(s.uuid), snapshot_label(s)) for s in snapshots
        ]


def snapshot_label(snapshot: Any) -> str:
    """How a snapshot is named in pickers: area, version, as-of year and the day it was made."""
    return f"{snapshot.area.name} v{snapshot.version} (as of {snapshot.as_of_year}, {snapshot.created_at:%Y-%m-%d})"


class WeightsForm(LiaisonForm):
    """One weight per score component; the defaults are the snapshot's own weights."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in COMPONENTS:
            self.fields[name] = forms.FloatField(
                label=name.capitalize(),
                min_value=0,
                max_value=MAX_WEIGHT,
                required=True,
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                error_messages={
                    "required": "Enter a weight (0 turns the component off).",
                    "invalid": "Enter a number, such as 0.25.",
                },
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weights = [data.get(name) for name in COMPONENTS]
        given = [w for w in weights if w is not None]
        if len(given) == len(weights) and sum(given) <= 0:
            self.add_error(COMPONENTS[0], "At least one weight must be more than 0.")
        return data

    def weights(self) -> dict[str, float]:
        return {name: float(self.cleaned_data[name]) for name in COMPONENTS}


class DiffForm(LiaisonForm):
    """The two snapshots to compare: `a` the earlier, `b` the later."""

    a = forms.ChoiceField(label="From snapshot")
    b = forms.ChoiceField(label="To snapshot")

    def __init__(self, *args: Any, snapshots: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(s.uuid), snapshot_label(s)) for s in snapshots]
        field_of(self, "a", forms.ChoiceField).choices = choices
        field_of(self, "b", forms.ChoiceField).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("a") and data.get("a") == data.get("b"):
            self.add_error("b", "Pick a different snapshot to compare with.")
        return data


class IdentityFilterForm(LiaisonForm):
    """Which links the identity queue lists; suggestions by default."""

    status = forms.ChoiceField(label="Status", required=False, choices=[("", "All"), *LinkStatus.choices])


class DecisionForm(LiaisonForm):
    """Accept or reject a suggested identity link, always with a reason (it goes into the audit trail)."""

    decision = forms.ChoiceField(
        choices=[("accept", "Accept"), ("reject", "Reject")],
        error_messages={"required": "Choose accept or reject.", "invalid_choice": "Choose accept or reject."},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.TextInput(),
        error_messages={"required": "Give a reason: it is kept in the audit trail with your decision."},
    )

    def __init__(self, *args: Any, link: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if link is not None:
            # Unique ids per row: the queue shows many of these forms on one page.
            self.auto_id = f"id_{link.uuid.hex[:12]}_%s"
