"""Forms of the planning pages; they only shape input, the actions validate again and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from liaison.accounts.models import Product, Territory, User
from liaison.core.forms import LiaisonForm, TextList, field_of
from liaison.insights.models import ListeningPriority
from liaison.people.models import HCP, HCPStatus, Tier

from .models import PlanKind


class PlanForm(LiaisonForm):
    """A new plan: a KOL plan needs the HCP and a number per quarter, a territory plan targets per tier."""

    kind = forms.ChoiceField(choices=PlanKind.choices, label="Plan for", widget=forms.RadioSelect)
    year = forms.IntegerField(min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        choices=[("", "Whole year"), ("1", "Q1"), ("2", "Q2"), ("3", "Q3"), ("4", "Q4")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    hcp = forms.ModelChoiceField(
        queryset=HCP.objects.filter(status=HCPStatus.ACTIVE, tier__isnull=False).order_by("last_name"),
        required=False,
        label="KOL",
        to_field_name="uuid",
        help_text="Tiered HCPs; KOL plans only.",
    )
    planned_per_quarter = forms.IntegerField(
        min_value=0, max_value=1000, required=False, label="Interactions planned per quarter"
    )
    territory = forms.ModelChoiceField(
        queryset=Territory.objects.all(),
        required=False,
        to_field_name="uuid",
        help_text="Territory plans only.",
    )
    objectives = TextList(
        label="Objectives", help_text="One per line.", widget=forms.Textarea(attrs={"rows": 4})
    )
    listening_priorities = forms.ModelMultipleChoiceField(
        queryset=ListeningPriority.objects.filter(active=True),
        required=False,
        to_field_name="uuid",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, choices_for=user, **kwargs)
        # Territories are planning reference data for every field role (their admin resource would hide them).
        field_of(self, "territory", forms.ModelChoiceField).queryset = Territory.objects.all()
        self.fields["year"].initial = timezone.localdate().year
        for tier, label in Tier.choices:
            self.fields[f"tier_{tier}"] = forms.IntegerField(
                min_value=0, max_value=1000, required=False, label=f"{label}: interactions per quarter"
            )

    def tier_targets(self) -> dict[str, int]:
        """The per-tier targets entered, for a territory plan."""
        return {
            str(tier): self.cleaned_data[f"tier_{tier}"]
            for tier in Tier.values
            if self.cleaned_data.get(f"tier_{tier}")
        }

    def tier_fields(self) -> list[Any]:
        """The bound per-tier fields, for the template."""
        return [self[f"tier_{tier}"] for tier in Tier.values]


class InterestForm(LiaisonForm):
    """A standing interest recorded from the HCP page."""

    topic = forms.CharField(max_length=300, help_text="What the HCP asked to be kept informed about.")
    mesh_terms = TextList(
        label="MeSH terms",
        max_length=2000,
        help_text="Optional, comma-separated descriptor names or ids (e.g. Lung Neoplasms, D008175).",
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(active=True), required=False, to_field_name="uuid"
    )
    recorded_on = forms.DateField(
        required=False,
        label="Asked on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Default today.",
    )
