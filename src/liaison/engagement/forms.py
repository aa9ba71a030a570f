"""Web forms for interactions and follow-ups. The live AE check (`watch_for_ae`) and the listening-priority
select are used by the insights and medinfo forms too.

Forms only collect and type-check input; the actions validate for real. The views put an action's
ValidationError back onto the form (`core.forms.add_action_errors`), next to the field it concerns, so the page
says what to fix and nothing is saved.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from django import forms

from liaison.accounts.forms import area_choices, product_choices
from liaison.accounts.models import Product, TherapeuticArea, User
from liaison.compliance.forms import FlagOverrideMixin
from liaison.core import hooks
from liaison.core.forms import (
    DATETIME_INPUT_FORMATS,
    AccessibleForm,
    UUIDModelChoiceField,
    UUIDModelMultipleChoiceField,
    field_of,
    parse_uuids,
    text_limit,
)
from liaison.people.forms import HCPListField, HCPPickerMixin, visible_external_people, visible_hcps
from liaison.people.models import HCP, Channel, ExternalPerson

from .models import (
    AEAttestation,
    FeedbackSource,
    FollowUpStatus,
    Initiation,
    Interaction,
    InteractionStatus,
    Purpose,
)

# The blank choice of an inline row's attendee select: an insight about the meeting as a whole; a follow-up must
# name its HCP when several attended.
MEETING_AS_A_WHOLE = "The meeting as a whole"
CHOOSE_ATTENDEE = "Choose the HCP…"

BLANK = [("", "—")]
# What the live AE check advises: answer the attestation, or that submitting/routing tells drug safety.
AE_HINTS = ("attest", "submit", "route")


class InteractionForm(HCPPickerMixin, FlagOverrideMixin, AccessibleForm):
    """The one-page interaction log: who, when, what, and the mandatory adverse-event attestation."""

    attendees = HCPListField(required=False, label="Attendees")
    external_attendees = HCPListField(required=False, label="Other attendees")
    occurred_at = forms.DateTimeField(
        label="Date and time",
        input_formats=DATETIME_INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Becomes Day 0 if an adverse event is reported. A future time plans the meeting: save it as "
        "a draft, then open it and submit once it has taken place.",
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=1,
        max_value=24 * 60,
        initial=30,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    channel = forms.ChoiceField(label="Channel", choices=BLANK + list(Channel.choices))
    purpose = forms.ChoiceField(label="Purpose", choices=BLANK + list(Purpose.choices))
    therapeutic_area = UUIDModelChoiceField(
        TherapeuticArea.objects.none(), label="Therapeutic area", required=False
    )
    initiation = forms.ChoiceField(
        label="Who initiated it?",
        choices=Initiation.choices,
        initial=Initiation.PROACTIVE,
        widget=forms.RadioSelect,
    )
    topics = forms.CharField(
        label="Topics",
        required=False,
        max_length=2000,
        help_text="Separate topics with commas, e.g. biomarkers, dosing, trial design.",
    )
    products = UUIDModelMultipleChoiceField(
        Product.objects.none(),
        label="Products discussed",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    materials_shared = forms.CharField(
        label="Materials shared",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Approved materials only, e.g. a reprint or a congress poster.",
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "Scientific content of the exchange. Checked for adverse-event mentions and for promotional or "
            "off-label wording as you type."
        ),
    )
    ae_attestation = forms.ChoiceField(
        label="Did the HCP mention an adverse event or special situation?",
        choices=[(AEAttestation.YES, "Yes"), (AEAttestation.NO, "No")],
        required=False,
        widget=forms.RadioSelect,
        help_text=(
            "Answer yes for any untoward medical occurrence in a patient taking one of our products, even if "
            "unconfirmed, second-hand or thought unrelated; and for special situations: pregnancy or breastfeeding "
            "exposure, overdose, abuse, misuse, medication error, off-label use, lack of efficacy, occupational "
            "exposure, a suspected counterfeit or quality complaint, or a drug interaction. Drug safety is notified "
            "when you submit; Day 0 is the interaction date."
        ),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        field_of(self, "therapeutic_area", forms.ModelChoiceField).queryset = area_choices(user)
        field_of(self, "products", forms.ModelChoiceField).queryset = product_choices(user)
        for name in ("notes", "materials_shared"):
            field_of(self, name, forms.CharField).max_length = text_limit()
            self.fields[name].validators.append(_max_length_validator())
        watch_for_ae(self.fields["notes"], self.fields["materials_shared"])

    def clean_attendees(self) -> list[HCP]:
        return self.resolve_hcps(self.cleaned_data.get("attendees") or [])

    def clean_external_attendees(self) -> list[ExternalPerson]:
        uuids = self.cleaned_data.get("external_attendees") or []
        people = visible_external_people(self.user, uuids)
        if len(people) != len(uuids):
            raise forms.ValidationError("One of the people picked no longer exists; search for them again.")
        return people

    def selected_external(self) -> list[ExternalPerson]:
        """The external-attendee chips to show: from the submitted data, or the initial value."""
        if self.is_bound:
            values = self.data.getlist("external_attendees") if hasattr(self.data, "getlist") else []
            return visible_external_people(self.user, parse_uuids(values) or [])
        return list(self.initial.get("external_attendees") or [])

    def selected_hcps(self) -> list[HCP]:
        """The attendee chips to show: from the submitted data, or the initial value on a fresh form."""
        if self.is_bound:
            parsed = parse_uuids(self.data.getlist("attendees") if hasattr(self.data, "getlist") else [])
            return visible_hcps(self.user, parsed or [])
        return list(self.initial.get("attendees") or [])

    def action_data(self) -> dict[str, Any]:
        """The `data` dict the engagement actions take."""
        cd = self.cleaned_data
        return {
            "occurred_at": cd["occurred_at"],
            "channel": cd["channel"],
            "purpose": cd["purpose"],
            "initiation": cd.get("initiation") or Initiation.PROACTIVE,
            "duration_minutes": cd["duration_minutes"],
            "topics": cd.get("topics") or "",
            "materials_shared": cd.get("materials_shared") or "",
            "notes": cd.get("notes") or "",
            "ae_attestation": cd.get("ae_attestation") or "",
            "therapeutic_area": cd.get("therapeutic_area"),
        }


def _max_length_validator() -> Any:
    from django.core.validators import MaxLengthValidator

    return MaxLengthValidator(text_limit())


class InteractionEditForm(InteractionForm):
    """Editing an interaction: the same fields, plus the reason a submitted record needs."""

    reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=500,
        help_text="Required once an interaction is submitted; it is kept in the audit trail.",
    )

    def __init__(self, *args: Any, submitted: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submitted = submitted
        if submitted:
            # Day 0 for safety: the time of a submitted interaction is read-only.
            self.fields["occurred_at"].disabled = True
            self.fields[
                "occurred_at"
            ].help_text = "Submitted: this time is Day 0 for safety and cannot change."
            self.fields["reason"].required = True
        else:
            del self.fields["reason"]

    def clean(self) -> dict[str, Any]:
        cd = super().clean() or {}
        # A submitted record answered the AE question; an edit may change the answer but never withdraw it.
        if self.submitted and not cd.get("ae_attestation") and "ae_attestation" not in self.errors:
            self.add_error("ae_attestation", "A submitted interaction must keep an answer to this question.")
        return cd


class PrioritySelect(forms.Select):
    """Listening priorities, each option tagged with its therapeutic area so the page can offer only the
    priorities of the area chosen (data-area)."""

    def create_option(
        self,
        name: str,
        value: Any,
        label: Any,
        selected: Any,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-area"] = str(instance.therapeutic_area.uuid)
        return option


class PriorityChoiceField(UUIDModelChoiceField):
    widget = PrioritySelect

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} ({obj.therapeutic_area.name})"


class InsightRowForm(AccessibleForm):
    """One inline insight on the interaction form. The fields keep the same names on every row."""

    insight_text = forms.CharField(
        label="Insight",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What did you learn that matters to medical strategy?",
    )
    insight_priority = PriorityChoiceField(
        queryset=None,
        label="Listening priority",
        required=False,
        empty_label="None / not sure",
        widget=PrioritySelect(attrs={"data-priority-select": ""}),
    )

    insight_hcp = forms.CharField(
        label="About",
        required=False,
        widget=forms.Select(attrs={"data-attendee-select": "", "data-blank": MEETING_AS_A_WHOLE}),
        help_text="Which attendee said it; the meeting as a whole shows it in every attendee's brief.",
    )
    insight_product: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None,
        label="Product",
        required=False,
        empty_label="The product discussed (when one)",
        to_field_name="uuid",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "insight_priority", forms.ModelChoiceField).queryset = (
            hooks.listening_priorities(user).filter(active=True).select_related("therapeutic_area")
        )
        field_of(self, "insight_product", forms.ModelChoiceField).queryset = product_choices(user)
        attendee_choices(self, "insight_hcp", [], MEETING_AS_A_WHOLE)
        watch_for_ae(self.fields["insight_text"])

    @property
    def has_content(self) -> bool:
        return bool(self.is_bound and (self.data.get("insight_text") or "").strip())


class FollowUpRowForm(AccessibleForm):
    """One follow-up promised during the interaction."""

    followup_description = forms.CharField(
        label="Follow-up",
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Send the subgroup analysis"}),
    )
    followup_due = forms.DateField(
        label="Due date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    followup_hcp = forms.CharField(
        label="For",
        required=False,
        widget=forms.Select(attrs={"data-attendee-select": "", "data-blank": CHOOSE_ATTENDEE}),
        help_text="The attendee it was promised to (asked when several HCPs attended).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        attendee_choices(self, "followup_hcp", [], CHOOSE_ATTENDEE)

    def clean(self) -> dict[str, Any]:
        cd = super().clean() or {}
        if (
            (cd.get("followup_description") or "").strip()
            and not cd.get("followup_due")
            and "followup_due" not in self.errors
        ):
            self.add_error("followup_due", "Give the follow-up a due date.")
        return cd

    @property
    def has_content(self) -> bool:
        return bool(self.is_bound and (self.data.get("followup_description") or "").strip())


RowForm = TypeVar("RowForm", bound="AccessibleForm")


def attendee_choices(form: forms.Form, name: str, hcps: Sequence[HCP], blank: str) -> None:
    """Offer the interaction's HCP attendees on a row's attendee select (app.js keeps it in step with the
    attendee picker as HCPs are added or removed)."""
    widget = form.fields[name].widget
    widget.choices = [("", blank), *((str(h.uuid), h.full_name) for h in hcps)]


def attribute_rows(rows: Sequence[forms.Form], name: str, hcps: Sequence[HCP], blank: str) -> None:
    """Offer `hcps` on every row and check each row's choice is one of them (a removed attendee, or a uuid that
    was never one, is an error on the row)."""
    known = {str(h.uuid) for h in hcps}
    for row in rows:
        attendee_choices(row, name, hcps, blank)
        chosen = row.cleaned_data.get(name) if hasattr(row, "cleaned_data") else ""
        if chosen and chosen not in known:
            row.add_error(name, "Choose one of the HCPs who attended.")


def row_forms(
    form_class: type[RowForm], data: Any, names: Sequence[str], *, user: User | None = None, minimum: int = 1
) -> list[RowForm]:
    """Bind one small form per repeated row (parallel lists of same-named inputs); at least `minimum` rows."""
    kwargs: dict[str, Any] = {"user": user} if user is not None else {}
    if data is None:
        return [form_class(auto_id=f"id_%s_{i}", **kwargs) for i in range(minimum)]
    columns = [data.getlist(name) for name in names]
    count = max([len(c) for c in columns] + [0])
    rows = []
    for i in range(count):
        row = {
            name: (column[i] if i < len(column) else "") for name, column in zip(names, columns, strict=True)
        }
        rows.append(form_class(row, auto_id=f"id_%s_{i}", **kwargs))
    return rows or [form_class(auto_id="id_%s_0", **kwargs)]


class InteractionFilterForm(AccessibleForm):
    """Filters on the interaction list; bad values are reported and ignored."""

    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    hcp = forms.CharField(
        label="HCP name", required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"})
    )
    channel = forms.ChoiceField(
        label="Channel", required=False, choices=[("", "Any")] + list(Channel.choices)
    )
    therapeutic_area = UUIDModelChoiceField(
        TherapeuticArea.objects.none(), label="Therapeutic area", required=False, empty_label="Any"
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any")] + list(InteractionStatus.choices)
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "therapeutic_area", forms.ModelChoiceField).queryset = area_choices(user)


class FollowUpFilterForm(AccessibleForm):
    status = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("open", "Open"), ("done", "Done"), ("cancelled", "Cancelled"), ("all", "All")],
    )


class FollowUpStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (FollowUpStatus.DONE, "Done"),
            (FollowUpStatus.CANCELLED, "Cancelled"),
            (FollowUpStatus.OPEN, "Open"),
        ]
    )


class HcpFeedbackForm(AccessibleForm):
    """What an attendee said the interaction was worth. The HCP list holds the interaction's attendees only."""

    hcp = UUIDModelChoiceField(HCP.objects.none(), label="HCP")
    value = forms.TypedChoiceField(
        label="How valuable did the HCP find the exchange?",
        coerce=int,
        choices=[
            (5, "5 - very valuable"),
            (4, "4"),
            (3, "3 - somewhat valuable"),
            (2, "2"),
            (1, "1 - not valuable"),
        ],
        widget=forms.RadioSelect,
    )
    source = forms.ChoiceField(label="How did you hear it?", choices=BLANK + list(FeedbackSource.choices))
    received_on = forms.DateField(
        label="Date the HCP said it", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The HCP's words where you have them. Checked for adverse-event mentions.",
    )

    def __init__(self, *args: Any, user: User, interaction: Interaction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        present = (
            HCP.objects.restrict(user, "view")
            .filter(attendance__interaction=interaction)
            .order_by("last_name", "first_name")
        )
        field_of(self, "hcp", forms.ModelChoiceField).queryset = present
        attendees = list(present[:2])
        if len(attendees) == 1:  # most meetings are one-to-one: nothing to choose
            self.initial.setdefault("hcp", attendees[0].uuid)
        watch_for_ae(self.fields["comment"], hint="submit")


class FlagCheckForm(forms.Form):
    """The text to check for compliance flags while the author types."""

    text = forms.CharField(required=False, strip=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "text", forms.CharField).max_length = text_limit()
        self.fields["text"].validators.append(_max_length_validator())


class AECheckForm(forms.Form):
    """The text to screen while the user types."""

    text = forms.CharField(required=False, strip=False)
    hint = forms.ChoiceField(required=False, choices=[(h, h) for h in AE_HINTS])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "text", forms.CharField).max_length = text_limit()
        self.fields["text"].validators.append(_max_length_validator())


def watch_for_ae(*fields: forms.Field, hint: str = "attest") -> None:
    """Make free-text widgets ask the AE checker about their text as the user types (htmx).

    Only the text and the kind of advice to give (`hint`: "attest" points at the interaction's AE question,
    "submit" and "route" say drug safety is told on submitting or routing) are posted; the answer goes into
    the next `.ae-live` region, which the template places right after the field.
    """
    from django.urls import reverse

    for field in fields:
        field.widget.attrs.update(
            {
                "hx-post": reverse("engagement:ae_check"),
                "hx-trigger": "keyup changed delay:600ms, change",
                "hx-target": "next .ae-live",
                "hx-swap": "innerHTML",
                # The text itself is added by app.js (data-text-from): the CSP allows no eval, so no `js:` values.
                "hx-vals": json.dumps({"hint": hint}),
                "data-text-from": "this",
                "hx-params": "text,hint",
                "hx-sync": "this:replace",
            }
        )
