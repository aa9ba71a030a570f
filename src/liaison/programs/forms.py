"""Forms of the event pages; they only shape input, programs.actions validates again and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from liaison.accounts.models import TherapeuticArea, User
from liaison.core.forms import (
    DATETIME_INPUT_FORMATS,
    AccessibleForm,
    LongText,
    TextList,
    UUIDModelChoiceField,
    UUIDModelMultipleChoiceField,
)
from liaison.core.permissions import MATRIX
from liaison.insights.models import ListeningPriority
from liaison.people.models import HCP, ExternalPerson, ExternalRole, HCPStatus

from .models import Attendance, DocumentKind, EventKind, ParticipantRole, StaffRole


def _colleagues(resource_action: tuple[str, str]) -> Any:
    resource, action = resource_action
    return User.objects.filter(is_active=True, role__in=MATRIX[resource][action]).order_by(
        "last_name", "first_name"
    )


class EventForm(AccessibleForm):
    """A new event or a change to its plan."""

    kind = forms.ChoiceField(choices=EventKind.choices)
    title = forms.CharField(max_length=200)
    starts_at = forms.DateTimeField(
        input_formats=DATETIME_INPUT_FORMATS, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        input_formats=DATETIME_INPUT_FORMATS, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    time_zone = forms.CharField(max_length=64, help_text="IANA name, e.g. Europe/Paris or Asia/Tokyo.")
    venue = forms.CharField(max_length=200, required=False)
    city = forms.CharField(max_length=120, required=False)
    country = forms.CharField(max_length=80, required=False)
    virtual = forms.BooleanField(required=False, label="Virtual (online) event")
    virtual_link = forms.CharField(max_length=500, required=False, label="Meeting link")
    therapeutic_area = UUIDModelChoiceField(TherapeuticArea.objects.all())
    owner = UUIDModelChoiceField(_colleagues(("event", "change")), required=False, help_text="Default you.")
    objectives = TextList(widget=forms.Textarea(attrs={"rows": 3}), help_text="One per line.")
    listening_priorities = UUIDModelMultipleChoiceField(
        ListeningPriority.objects.filter(active=True), required=False, widget=forms.CheckboxSelectMultiple
    )
    agenda = LongText(help_text="One item per line: time | title | speaker (e.g. 09:00 | Welcome | Dr Chen).")
    budget = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    currency = forms.CharField(max_length=3, required=False, help_text="ISO code, e.g. EUR.")
    report_due_days = forms.IntegerField(
        required=False, min_value=0, max_value=90, label="Report due (days after the end)"
    )
    report_recipients = TextList(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Report recipients",
        help_text="Stakeholders' e-mail addresses, separated by commas or lines.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, choices_for=user, **kwargs)
        self.fields["time_zone"].initial = settings.TIME_ZONE
        # Colleagues are named in every medical record; their admin resource would hide them from MSLs.
        self.fields["owner"].queryset = _colleagues(("event", "change"))  # type: ignore[attr-defined]
        self.fields["therapeutic_area"].queryset = TherapeuticArea.objects.all()  # type: ignore[attr-defined]

    def action_data(self) -> dict[str, Any]:
        """The cleaned values as programs.actions takes them."""
        data = dict(self.cleaned_data)
        data.pop("listening_priorities", None)
        if data.get("owner") is None:
            data.pop("owner", None)
        data["objectives"] = list(data.get("objectives") or [])
        return data


def agenda_text(items: list[dict[str, str]]) -> str:
    """The agenda as the form's lines."""
    return "\n".join(
        " | ".join(p for p in (i.get("time", ""), i["title"], i.get("speaker", "")) if p) for i in items
    )


class StaffForm(AccessibleForm):
    user = UUIDModelChoiceField(_colleagues(("event", "view")), label="Colleague")
    role = forms.ChoiceField(choices=StaffRole.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _colleagues(("event", "view"))  # type: ignore[attr-defined]


class InviteForm(AccessibleForm):
    """Invite an HCP or an external person: exactly one of the two."""

    hcp = UUIDModelChoiceField(
        HCP.objects.filter(status=HCPStatus.ACTIVE).order_by("last_name"), required=False, label="HCP"
    )
    external_person = UUIDModelChoiceField(
        ExternalPerson.objects.select_related("organization").order_by("last_name"),
        required=False,
        label="Or an external person",
        help_text="Payers, pharmacists, patient advocates, health economists.",
    )
    role = forms.ChoiceField(choices=ParticipantRole.choices, initial=ParticipantRole.ATTENDEE)


class AttendanceForm(AccessibleForm):
    attendance = forms.ChoiceField(choices=Attendance.choices)


class WalkInForm(AccessibleForm):
    """A walk-in by name; the HCP search offers candidates before anything is created."""

    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    city = forms.CharField(max_length=120, required=False)
    external_role = forms.ChoiceField(
        choices=[("", "HCP (a healthcare professional)"), *ExternalRole.choices],
        required=False,
        label="Who they are",
    )
    role = forms.ChoiceField(choices=ParticipantRole.choices, initial=ParticipantRole.ATTENDEE)
    create_anyway = forms.BooleanField(required=False, label="None of the candidates: create a new record")


class MinutesForm(AccessibleForm):
    minutes = LongText(widget=forms.Textarea(attrs={"rows": 10}))


class EventInsightForm(AccessibleForm):
    text = LongText(max_length=5000, required=True, label="Insight", widget=forms.Textarea(attrs={"rows": 3}))
    listening_priority = UUIDModelChoiceField(ListeningPriority.objects.filter(active=True), required=False)
    hcp = UUIDModelChoiceField(
        HCP.objects.none(), required=False, label="Heard from", help_text="A participant."
    )

    def __init__(self, *args: Any, user: User, event: Any, **kwargs: Any) -> None:
        super().__init__(*args, choices_for=user, **kwargs)
        self.fields["hcp"].queryset = HCP.objects.filter(event_participations__event=event)  # type: ignore[attr-defined]
        self.fields["listening_priority"].queryset = (  # type: ignore[attr-defined]
            ListeningPriority.objects.restrict(user, "view").filter(
                active=True, therapeutic_area=event.therapeutic_area
            )
        )


class ActionItemForm(AccessibleForm):
    title = forms.CharField(max_length=300)
    owner = UUIDModelChoiceField(_colleagues(("event", "view")), required=False, help_text="Default you.")
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _colleagues(("event", "view"))  # type: ignore[attr-defined]


class DocumentForm(AccessibleForm):
    kind = forms.ChoiceField(choices=DocumentKind.choices)
    title = forms.CharField(max_length=200)
    reference = forms.CharField(max_length=500, help_text="A link or the document-management id.")
