"""Web forms for drug safety: the queue's sort and filters, and triage of one report."""

from __future__ import annotations

from typing import Any

from django import forms

from liaison.accounts.forms import product_choices
from liaison.accounts.models import Product, User
from liaison.core.forms import AccessibleForm, UUIDModelChoiceField, field_of, text_limit

from .models import ReportStatus, Sex

# The queue view hides acknowledged and closed reports unless a status is chosen; the labels say so, because a
# "Status: Any" beside a silently narrowed list reads as "there are no forwarded reports".
SORTS = [
    ("unforwarded", "Queue: not yet acknowledged, oldest first"),
    ("newest", "All reports, newest Day 0 first"),
]


class ReportFilterForm(AccessibleForm):
    sort = forms.ChoiceField(label="Order", required=False, choices=SORTS)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any"), *ReportStatus.choices])


class TriageForm(AccessibleForm):
    """What drug safety may complete on a report. Patient identifiers are limited to initials, age and sex."""

    patient_initials = forms.CharField(
        label="Patient initials",
        required=False,
        max_length=5,
        help_text="Initials only (e.g. J.D.). Never enter a patient's name, record or hospital number, or date "
        "of birth.",
    )
    patient_age = forms.IntegerField(
        label="Patient age (years)",
        required=False,
        min_value=0,
        max_value=120,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="Age in years only, never a date of birth.",
    )
    patient_sex = forms.ChoiceField(label="Patient sex", required=False, choices=Sex.choices)
    reporter_name = forms.CharField(
        label="Reporter",
        required=False,
        max_length=200,
        help_text="The HCP or person who reported the event to the company.",
    )
    suspect_product = UUIDModelChoiceField(Product.objects.none(), label="Suspect product", required=False)
    event_description = forms.CharField(
        label="Event description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What happened, when, and the outcome if known. No patient "
        "identifiers beyond initials, age and sex.",
    )
    status = forms.ChoiceField(label="Decision", choices=ReportStatus.choices)
    note = forms.CharField(
        label="Triage note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when closing as not an AE.",
    )
    safety_case_id = forms.CharField(
        label="Safety database case id",
        required=False,
        max_length=60,
        help_text="Only when the case was entered in the safety database by hand: it then counts as "
        "acknowledged and is not sent again. Leave blank to forward through the outbox.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "suspect_product", forms.ModelChoiceField).queryset = product_choices(user)
        for name in ("event_description", "note"):
            field_of(self, name, forms.CharField).max_length = text_limit()
            from django.core.validators import MaxLengthValidator

            self.fields[name].validators.append(MaxLengthValidator(text_limit()))

    def case_fields(self) -> dict[str, Any]:
        cd = self.cleaned_data
        return {
            "patient_initials": cd.get("patient_initials") or "",
            "patient_age": cd.get("patient_age"),
            "patient_sex": cd.get("patient_sex") or "",
            "reporter_name": cd.get("reporter_name") or "",
            "event_description": cd.get("event_description") or "",
            "suspect_product": cd.get("suspect_product"),
        }
