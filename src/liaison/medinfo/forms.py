"""Web forms for unsolicited medical inquiries: capture (open to commercial), queue filters, assign, answer, close."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import QueryDict

from liaison.accounts.forms import product_choices
from liaison.accounts.models import Product, User
from liaison.core.forms import (
    DATETIME_INPUT_FORMATS,
    AccessibleForm,
    UUIDModelChoiceField,
    field_of,
    parse_uuids,
)
from liaison.core.permissions import can
from liaison.core.roles import Role
from liaison.engagement.forms import watch_for_ae
from liaison.people.forms import HCPListField, HCPPickerMixin, visible_hcps
from liaison.people.models import Channel

from .actions import question_types
from .models import InquiryStatus


def assignee_choices() -> Any:
    """Medical information colleagues an inquiry can be assigned to.

    A staff directory (names only), not medical data: the `user` resource is closed to medical information, yet
    they must be able to pick a colleague. assign_inquiry checks the assignee's role again.
    """
    return User.objects.filter(role=Role.MEDICAL_INFORMATION, is_active=True).order_by(
        "last_name", "first_name"
    )


class UserChoiceField(UUIDModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class InquiryForm(HCPPickerMixin, AccessibleForm):
    """Capture of an unsolicited request, verbatim; anyone allowed may route one, commercial users included."""

    hcp_field = "requester_hcp"

    requester_hcp = HCPListField(required=False, label="Requester (HCP)")
    requester_name = forms.CharField(
        label="Requester name",
        required=False,
        max_length=200,
        help_text="If the requester is not in the HCP directory.",
    )
    requester_contact = forms.CharField(
        label="How to reach the requester",
        required=False,
        max_length=200,
        help_text="E-mail, phone or address for the answer. The answer goes only to the requester.",
    )
    channel = forms.ChoiceField(label="How was it asked?", choices=[("", "—"), *Channel.choices])
    received_at = forms.DateTimeField(
        label="Received",
        input_formats=DATETIME_INPUT_FORMATS,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="When the question was asked. Leave as is if it was just now.",
    )
    product = UUIDModelChoiceField(Product.objects.none(), label="Product", required=False)
    question = forms.CharField(
        label="Question, word for word",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Write down exactly what was asked, without interpreting or answering it.",
    )
    off_label = forms.BooleanField(
        label="The question is about a use, dose or population the product is not approved for (off-label)",
        required=False,
    )
    unsolicited_attested = forms.BooleanField(
        label="I confirm the requester asked this on their own initiative; I did not prompt or encourage the question.",
        required=False,
        help_text="Required. Medical information may answer off-label questions only when they were unsolicited.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        field_of(self, "product", forms.ModelChoiceField).queryset = product_choices(user)
        if can(user, "inquiry", "view"):
            # The live check is a medical endpoint; a commercial user's question is screened when routed.
            watch_for_ae(self.fields["question"], hint="route")

    def clean(self) -> dict[str, Any]:
        """Report the rules the capture action enforces together with the field errors, so that one submit
        lists everything that is missing (the action still checks them: this only makes the form say so
        at once)."""
        cd = super().clean() or {}
        if not cd.get("unsolicited_attested") and "unsolicited_attested" not in self.errors:
            self.add_error(
                "unsolicited_attested", "Confirm that the request was unsolicited before routing it."
            )
        if (
            "requester_hcp" not in self.errors
            and not cd.get("requester_hcp")
            and not (cd.get("requester_name") or "").strip()
            and "requester_name" not in self.errors
        ):
            self.add_error("requester_name", "Name the requester, or pick the HCP who asked.")
        return cd

    def clean_requester_hcp(self) -> Any:
        people = self.resolve_hcps(self.cleaned_data.get("requester_hcp") or [])
        if len(people) > 1:
            raise forms.ValidationError("Pick one requester.")
        return people[0] if people else None

    def selected_hcps(self) -> list[Any]:
        if self.is_bound:
            data = cast(QueryDict, self.data)  # a bound form holds the request's QueryDict
            return visible_hcps(self.user, (parse_uuids(data.getlist("requester_hcp")) or [])[:1])
        return []


class InquiryFilterForm(AccessibleForm):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Open or in progress"), ("all", "Any"), *InquiryStatus.choices],
    )
    product = UUIDModelChoiceField(Product.objects.none(), label="Product", required=False, empty_label="Any")
    assignee = forms.ChoiceField(label="Assigned to", required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "product", forms.ModelChoiceField).queryset = product_choices(user)
        field_of(self, "assignee", forms.ChoiceField).choices = [
            ("", "Anyone"),
            ("me", "Me"),
            ("none", "Unassigned"),
        ] + [(str(u.uuid), u.display_name) for u in assignee_choices()]


class AssignForm(AccessibleForm):
    assignee = UserChoiceField(User.objects.none(), label="Assign to")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_assign_%s")
        super().__init__(*args, **kwargs)
        field_of(self, "assignee", forms.ModelChoiceField).queryset = assignee_choices()


class AnswerForm(AccessibleForm):
    answer = forms.CharField(
        label="Answer sent to the requester",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Record the response exactly as sent. It goes only to the requester.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_answer_%s")
        super().__init__(*args, **kwargs)


class CloseForm(AccessibleForm):
    reason = forms.CharField(
        label="Reason for closing",
        max_length=500,
        help_text="e.g. answered by phone, requester withdrew, duplicate. Kept in the audit trail.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_close_%s")
        super().__init__(*args, **kwargs)


class TriageForm(AccessibleForm):
    """Accept or correct the question type and drug in focus proposed when the inquiry was captured."""

    question_type = forms.ChoiceField(label="Question type", choices=[("", "—")])
    drug = forms.CharField(
        label="Drug in focus",
        required=False,
        max_length=200,
        help_text="The medicine the question is about; leave empty if it names none.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_triage_%s")
        super().__init__(*args, **kwargs)
        field_of(self, "question_type", forms.ChoiceField).choices = [
            ("", "—"),
            *((t, t) for t in question_types()),
        ]

    @classmethod
    def for_inquiry(cls, inquiry: Any) -> TriageForm:
        """Pre-filled with what medical information chose, else with the proposal (one click accepts it)."""
        chosen = bool(inquiry.question_type)
        return cls(
            initial={
                "question_type": inquiry.question_type if chosen else inquiry.proposed_type,
                "drug": inquiry.drug if chosen else inquiry.proposed_drug,
            }
        )
