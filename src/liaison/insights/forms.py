"""Web forms for insights: capture, edit, review and the list filters. The actions do the real validation."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import QueryDict

from liaison.accounts.forms import area_choices, product_choices
from liaison.accounts.models import Product, TherapeuticArea, User
from liaison.compliance.forms import FlagOverrideMixin
from liaison.core.forms import (
    AccessibleForm,
    LiaisonForm,
    LongText,
    UUIDModelChoiceField,
    field_of,
    parse_uuids,
)
from liaison.engagement.forms import PriorityChoiceField, PrioritySelect, watch_for_ae
from liaison.people.forms import HCPListField, HCPPickerMixin, visible_hcps

from .models import InsightStatus, ListeningPriority

TEXT_HELP = (
    "One insight: what you heard, from whom (role, not name), and why it matters. Avoid patient details."
)


def priority_choices(user: User) -> Any:
    """Active listening priorities the user may see, with their therapeutic area (the interaction form's inline
    insight offers the same, through core.hooks.listening_priorities)."""
    return (
        ListeningPriority.objects.restrict(user, "view")
        .filter(active=True)
        .select_related("therapeutic_area")
    )


class InsightForm(HCPPickerMixin, FlagOverrideMixin, AccessibleForm):
    """A standalone insight (not captured on an interaction)."""

    hcp_field = "hcp"

    therapeutic_area = UUIDModelChoiceField(TherapeuticArea.objects.none(), label="Therapeutic area")
    hcp = HCPListField(required=False, label="HCP (optional)")
    listening_priority = PriorityChoiceField(
        queryset=None,
        label="Listening priority",
        required=False,
        empty_label="None / not sure",
        widget=PrioritySelect(attrs={"data-priority-select": ""}),
        help_text="The key insight topic this answers, if any.",
    )
    product = UUIDModelChoiceField(Product.objects.none(), label="Product (optional)", required=False)
    text = forms.CharField(
        label="Insight", max_length=5000, widget=forms.Textarea(attrs={"rows": 6}), help_text=TEXT_HELP
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        field_of(self, "therapeutic_area", forms.ModelChoiceField).queryset = area_choices(user)
        field_of(self, "listening_priority", forms.ModelChoiceField).queryset = priority_choices(user)
        field_of(self, "product", forms.ModelChoiceField).queryset = product_choices(user)
        watch_for_ae(self.fields["text"], hint="submit")

    def clean_hcp(self) -> Any:
        people = self.resolve_hcps(self.cleaned_data.get("hcp") or [])
        if len(people) > 1:
            raise forms.ValidationError("Pick one HCP.")
        return people[0] if people else None

    def selected_hcps(self) -> list[Any]:
        if self.is_bound:
            data = cast(QueryDict, self.data)  # a bound form holds the request's QueryDict
            return visible_hcps(self.user, (parse_uuids(data.getlist("hcp")) or [])[:1])
        hcp = self.initial.get("hcp")
        return [hcp] if hcp else []


class InsightEditForm(FlagOverrideMixin, AccessibleForm):
    """Editing a draft insight: its text and listening priority."""

    listening_priority = PriorityChoiceField(
        queryset=None, label="Listening priority", required=False, empty_label="None / not sure"
    )
    text = forms.CharField(
        label="Insight", max_length=5000, widget=forms.Textarea(attrs={"rows": 6}), help_text=TEXT_HELP
    )

    def __init__(self, *args: Any, user: User, insight: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "listening_priority", forms.ModelChoiceField).queryset = priority_choices(user).filter(
            therapeutic_area_id=insight.therapeutic_area_id
        )
        watch_for_ae(self.fields["text"], hint="submit")


class ReviewForm(AccessibleForm):
    """A reviewer's note and, optionally, a corrected listening priority."""

    note = forms.CharField(
        label="Review note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Feedback for the author: what makes this insight useful, or what is missing.",
    )
    listening_priority = PriorityChoiceField(
        queryset=None, label="Listening priority", required=False, empty_label="Keep as is"
    )

    def __init__(
        self, *args: Any, user: User, insight: Any, priorities: list[Any] | None = None, **kwargs: Any
    ) -> None:
        """`priorities`, when given, are the already-loaded choices of the insight's area: a queue of many
        cards then renders its selects without one query per card. Validation still uses the queryset."""
        kwargs.setdefault("auto_id", f"id_{str(insight.uuid)[:8]}_%s")
        super().__init__(*args, **kwargs)
        self.insight = insight
        field = field_of(self, "listening_priority", forms.ModelChoiceField)
        field.queryset = priority_choices(user).filter(therapeutic_area_id=insight.therapeutic_area_id)
        if priorities is not None:
            iterator = field.iterator(field)
            field.choices = [("", field.empty_label), *(iterator.choice(p) for p in priorities)]


class ReleaseForm(AccessibleForm):
    """A medical reviewer's summary of an insight, rewritten for audiences beyond medical (the commercial report)."""

    released_summary = forms.CharField(
        label="Summary for audiences beyond medical",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Shown on the aggregate insight report, which commercial colleagues read, once its group counts five "
            "HCPs or more. Rewrite in your own words: no names, identifiers, dates or patient details."
        ),
    )


class InsightFilterForm(AccessibleForm):
    """Filters of the insight list; bad values are reported and ignored."""

    q = forms.CharField(
        label="Text contains",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    therapeutic_area = UUIDModelChoiceField(
        TherapeuticArea.objects.none(), label="Therapeutic area", required=False, empty_label="Any"
    )
    listening_priority = PriorityChoiceField(
        queryset=None, label="Listening priority", required=False, empty_label="Any"
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any")] + list(InsightStatus.choices)
    )
    author = forms.ChoiceField(label="Author", required=False, choices=[("", "Anyone")])

    def __init__(self, *args: Any, user: User, authors: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "therapeutic_area", forms.ModelChoiceField).queryset = area_choices(user)
        field_of(self, "listening_priority", forms.ModelChoiceField).queryset = priority_choices(user)
        field_of(self, "author", forms.ChoiceField).choices = [("", "Anyone"), ("me", "Me"), *authors]


class ListeningPriorityForm(LiaisonForm):
    """Administration of one listening priority."""

    therapeutic_area = UUIDModelChoiceField(TherapeuticArea.objects.all(), empty_label="---------")
    title = forms.CharField(max_length=200, help_text="A question the field should listen for.")
    description = LongText(max_length=5000)
    order = forms.IntegerField(
        min_value=0, max_value=1000, initial=0, help_text="Lower numbers are listed first."
    )
    active = forms.BooleanField(required=False, initial=True)
