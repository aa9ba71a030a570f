"""Forms of the transparency pages; they only shape input, the actions validate again and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from liaison.core.forms import AccessibleForm, LongText, TextList, UUIDModelChoiceField
from liaison.people.models import HCP, HCPStatus, Organization

from .exports import EXPORT_KINDS
from .models import Nature, PaymentForm, SourceKind


def _year_choices() -> list[tuple[str, str]]:
    this = timezone.localdate().year
    return [("", "Any year")] + [(str(y), str(y)) for y in range(this, this - 6, -1)]


class LedgerFilterForm(forms.Form):
    """The ledger's filters (GET); invalid values narrow nothing."""

    year = forms.TypedChoiceField(choices=_year_choices, coerce=int, empty_value=None, required=False)
    nature = forms.ChoiceField(choices=[("", "Any nature"), *Nature.choices], required=False)
    recipient = forms.CharField(max_length=100, required=False, label="Recipient name")
    country = forms.CharField(max_length=2, required=False, help_text="ISO code, e.g. US, FR")


class TransferForm(AccessibleForm):
    """A transfer recorded by hand: one recipient (HCP or organisation)."""

    recipient_hcp = UUIDModelChoiceField(
        queryset=HCP.objects.filter(status=HCPStatus.ACTIVE).order_by("last_name", "first_name"),
        required=False,
        label="HCP",
    )
    recipient_organization = UUIDModelChoiceField(
        queryset=Organization.objects.order_by("name"), required=False, label="Organisation"
    )
    nature = forms.ChoiceField(choices=Nature.choices)
    form_of_payment = forms.ChoiceField(choices=PaymentForm.choices, label="Form of payment")
    paid_on = forms.DateField(label="Paid on", widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(min_value=0.01, max_digits=12, decimal_places=2)
    currency = forms.CharField(max_length=3, initial="USD", help_text="ISO 4217")
    country = forms.CharField(
        max_length=2, initial="US", help_text="Recipient's country, ISO 3166 (US, FR, DE...)"
    )
    register_ids = forms.CharField(
        max_length=500,
        required=False,
        label="Register ids",
        help_text="NAME=value; NAME=value (e.g. RPPS=10001234567; a teaching hospital's CCN=160029).",
    )
    products = TextList(label="Products", help_text="Up to five, comma-separated.")
    study_name = forms.CharField(
        max_length=500, required=False, label="Study name", help_text="Research payments."
    )
    nct_id = forms.CharField(
        max_length=11, required=False, label="ClinicalTrials.gov id", help_text="NCT01234567"
    )
    description = LongText(label="Context")
    source_kind = forms.ChoiceField(choices=SourceKind.choices, initial=SourceKind.MANUAL, label="Paid for")
    source_label = forms.CharField(max_length=300, required=False, label="Event, contract or study")
    external_id = forms.CharField(max_length=100, required=False, label="External id")

    def clean_register_ids(self) -> dict[str, str]:
        """ "RPPS=1; CCN=2" as a mapping; the action checks the names and values."""
        out = {}
        for part in filter(None, (p.strip() for p in self.cleaned_data["register_ids"].split(";"))):
            name, sep, value = part.partition("=")
            if not sep or not name.strip() or not value.strip():
                raise forms.ValidationError("Write register ids as NAME=value; NAME=value.")
            out[name.strip()] = value.strip()
        return out


class VoidForm(AccessibleForm):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class ConsentForm(AccessibleForm):
    year = forms.IntegerField(min_value=2000, max_value=2100)
    consented = forms.TypedChoiceField(
        choices=[("yes", "Consented to individual disclosure"), ("no", "Refused (aggregate disclosure)")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Answer",
    )
    note = forms.CharField(max_length=1000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class ExportForm(forms.Form):
    """Which file (GET): kind, year, and the country of an EFPIA disclosure."""

    kind = forms.ChoiceField(
        choices=[
            ("cms-general", "CMS Open Payments: general payments"),
            ("cms-research", "CMS Open Payments: research payments"),
            ("efpia", "EFPIA disclosure (one country)"),
        ]
    )
    year = forms.IntegerField(min_value=2000, max_value=2100)
    country = forms.CharField(max_length=2, min_length=2, required=False, help_text="EFPIA: e.g. FR, DE, GB")

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        assert kind in EXPORT_KINDS  # the choices above are the export kinds
        return kind


class ImportForm(AccessibleForm):
    file = forms.FileField(help_text="CSV, UTF-8, with the columns listed below.")
    dry_run = forms.BooleanField(required=False, initial=True, label="Preview only (dry run): write nothing")
