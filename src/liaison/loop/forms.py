"""Forms of the loop's pages; they shape input for the actions, which validate again."""

from __future__ import annotations

from typing import Any

from django import forms

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.forms import field_of
from liaison.core.roles import MEDICAL_ROLES
from liaison.insights.models import ListeningPriority
from liaison.intel.models import ClusterMember, InsightCluster

from .models import ActionStatus

SCALE = [(i, str(i)) for i in range(1, 6)]


class RatingForm(forms.Form):
    """Specific and actionable on 1-5, new as yes/no."""

    specific = forms.TypedChoiceField(
        choices=SCALE, coerce=int, widget=forms.RadioSelect, help_text="1 vague · 5 precise"
    )
    actionable = forms.TypedChoiceField(
        choices=SCALE, coerce=int, widget=forms.RadioSelect, help_text="1 nothing to do · 5 clear next step"
    )
    new = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="New to us?",
    )
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ThemeForm(forms.Form):
    """A new theme, optionally seeded from a listening priority or a cluster of unmatched insights."""

    name = forms.CharField(max_length=200)
    therapeutic_area = forms.ModelChoiceField(queryset=TherapeuticArea.objects.none())
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    listening_priority = forms.ModelChoiceField(
        queryset=ListeningPriority.objects.none(),
        required=False,
        help_text="Seeds the theme with the insights that answer it",
    )
    cluster = forms.ModelChoiceField(
        queryset=InsightCluster.objects.none(),
        required=False,
        label="Or seed from a cluster of unmatched insights",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = TherapeuticArea.objects.restrict(user, "view")
        field_of(self, "therapeutic_area", forms.ModelChoiceField).queryset = areas
        priorities = ListeningPriority.objects.restrict(user, "view").filter(active=True)
        field_of(self, "listening_priority", forms.ModelChoiceField).queryset = priorities
        # A cluster's keywords come from its insights: offer only clusters with a member the reviewer may see.
        members = ClusterMember.objects.restrict(user, "view").values("cluster")
        clusters = InsightCluster.objects.filter(pk__in=members)
        field_of(self, "cluster", forms.ModelChoiceField).queryset = clusters

    def clean(self) -> dict[str, Any]:
        super().clean()
        cd = self.cleaned_data
        area = cd.get("therapeutic_area")
        for key in ("listening_priority", "cluster"):
            seed = cd.get(key)
            if seed is not None and area is not None and seed.therapeutic_area_id != area.pk:
                self.add_error(key, "belongs to another therapeutic area")
        return cd


class ColleagueField(forms.ModelChoiceField):
    """A user by the name people know them by."""

    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class ActionForm(forms.Form):
    """A new action on a theme, or the editable fields of an open one."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    owner_user = ColleagueField(queryset=User.objects.none(), required=False, label="Owner (a person)")
    owner_function = forms.CharField(
        required=False,
        max_length=120,
        label="Or an internal function",
        help_text="e.g. HEOR, Medical Education",
    )
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(
        choices=[(ActionStatus.OPEN, "Open"), (ActionStatus.IN_PROGRESS, "In progress")], required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Owners are medical colleagues; listing them needs no user-admin permission, only active medical users.
        colleagues = User.objects.filter(is_active=True, role__in=[r.value for r in MEDICAL_ROLES])
        field_of(self, "owner_user", ColleagueField).queryset = colleagues.order_by("last_name", "first_name")


class CompleteForm(forms.Form):
    """Close an action: done or cancelled, with the outcome the MSLs are told."""

    status = forms.ChoiceField(choices=[(ActionStatus.DONE, "Done"), (ActionStatus.CANCELLED, "Cancelled")])
    outcome = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class PeriodForm(forms.Form):
    """The report's period (submission dates of the insights, inclusive)."""

    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
