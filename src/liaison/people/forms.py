"""Forms for the HCP directory, the HCP profile (create and edit) and merging.

They collect and type-check input only; `people.actions` validates for real and its errors are mapped back
onto these fields by the views. Choice lists (areas, owners, territories) come from restricted reads. The HCP
picker (`HCPListField`, `HCPPickerMixin`, `visible_hcps`) is shared by every form that names HCPs.
"""

from __future__ import annotations

import re
import uuid as uuid_lib
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from liaison.accounts.models import Territory, TherapeuticArea, User
from liaison.core.forms import (
    AccessibleForm,
    LiaisonForm,
    TextList,
    UUIDModelChoiceField,
    field_of,
    parse_uuids,
)
from liaison.core.permissions import can
from liaison.core.roles import Role

from .models import (
    HCP,
    Channel,
    ConsentStatus,
    ExternalPerson,
    ExternalRole,
    Frequency,
    HCPStatus,
    LawfulBasis,
    Organization,
    Tier,
)


def visible_hcps(user: User, uuids: Sequence[uuid_lib.UUID]) -> list[HCP]:
    """The HCPs with these uuids that `user` may see, in the order given."""
    found = {h.uuid: h for h in HCP.objects.restrict(user, "view").filter(uuid__in=list(uuids))}
    return [found[u] for u in uuids if u in found]


class HCPListField(forms.Field):
    """One or more HCP uuids from hidden inputs (the attendee chips); resolved against what the user may see."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[uuid_lib.UUID]:
        if value in (None, ""):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        parsed = parse_uuids(str(v) for v in values)
        if parsed is None:
            raise ValidationError("Pick HCPs from the search results.", code="invalid")
        return parsed


class HCPPickerMixin:
    """Resolves the HCP uuids of an `hcp_field` against `HCP.objects.restrict(user, "view")`."""

    user: User
    hcp_field = "attendees"

    def resolve_hcps(self, uuids: Sequence[uuid_lib.UUID]) -> list[HCP]:
        people = visible_hcps(self.user, uuids)
        if len(people) != len(uuids):
            raise ValidationError("One of the HCPs picked no longer exists; search for them again.")
        return people


def area_choices(user: User) -> QuerySet[TherapeuticArea]:
    """Active therapeutic areas the user may see."""
    return TherapeuticArea.objects.restrict(user, "view").filter(active=True)


def owner_choices(user: User, *, include: User | None = None) -> QuerySet[User]:
    """People an HCP can be assigned to.

    Roles that may view users pick from every active field user. Others (an MSL) may see only themselves and
    the owners already shown in the HCP directory they can read, so nothing new is revealed.
    """
    field_roles = [Role.MSL, Role.MSL_MANAGER, Role.MEDICAL_LEAD]
    if can(user, "user", "view"):
        qs = User.objects.restrict(user, "view").filter(is_active=True, role__in=field_roles)
    else:
        visible_owners = HCP.objects.restrict(user, "view").exclude(owner=None).values("owner")
        qs = User.objects.filter(is_active=True).filter(pk__in=visible_owners) | User.objects.filter(
            pk=user.pk
        )
    if include is not None:
        qs = qs | User.objects.filter(pk=include.pk)
    return qs.distinct().order_by("last_name", "first_name", "username")


def territory_choices(user: User, *, include: Territory | None = None) -> QuerySet[Territory]:
    """Territories to pick from: all of them for roles that may view users, else the user's own and those
    already shown on HCPs the user can read."""
    if can(user, "user", "view"):
        qs = Territory.objects.restrict(user, "view")
    else:
        visible = HCP.objects.restrict(user, "view").exclude(territory=None).values("territory")
        qs = Territory.objects.filter(pk__in=visible)
        if user.territory_id:
            qs = qs | Territory.objects.filter(pk=user.territory_id)
    if include is not None:
        qs = qs | Territory.objects.filter(pk=include.pk)
    return qs.distinct().order_by("name")


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.role_label()})"


STATUS_FILTERS = [("active", "Active"), ("inactive", "Inactive"), ("any", "Active and inactive")]


class HCPFilterForm(LiaisonForm):
    """Search and filters of the HCP directory (GET)."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Name, NPI, ORCID or city",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": "e.g. Hopkins, 1234567893, Iowa City",
            }
        ),
    )
    therapeutic_area = forms.ModelChoiceField(
        queryset=TherapeuticArea.objects.none(),
        required=False,
        to_field_name="uuid",
        empty_label="All areas",
        label="Therapeutic area",
    )
    tier = forms.TypedChoiceField(
        choices=[("", "All tiers"), *Tier.choices], required=False, coerce=int, empty_value=None
    )
    owner = OwnerField(
        queryset=User.objects.none(), required=False, to_field_name="uuid", empty_label="Anyone"
    )
    territory = forms.ModelChoiceField(
        queryset=Territory.objects.none(), required=False, to_field_name="uuid", empty_label="All territories"
    )
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False, initial="active")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "therapeutic_area", forms.ModelChoiceField).queryset = area_choices(user)
        field_of(self, "owner", forms.ModelChoiceField).queryset = owner_choices(user)
        field_of(self, "territory", forms.ModelChoiceField).queryset = territory_choices(user)


def _identifier_lines(value: dict[str, str] | None) -> str:
    return "\n".join(f"{k}: {v}" for k, v in (value or {}).items())


class IdentifiersField(forms.CharField):
    """Other identifiers as "scheme: value" lines, e.g. "open_payments: 123456"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 4000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return _identifier_lines(value) if isinstance(value, dict) else value

    def clean(self, value: Any) -> dict[str, str]:
        text = super().clean(value) or ""
        result: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            scheme, sep, ident = line.partition(":")
            if not sep or not scheme.strip() or not ident.strip():
                raise forms.ValidationError(f"Line {number} is not in the form “scheme: value”.")
            result[re.sub(r"\s+", "_", scheme.strip().lower())] = ident.strip()
        return result


class HCPForm(LiaisonForm):
    """Profile, preferences and consent of an HCP, for create and edit."""

    prefix_ = forms.CharField(label="Prefix", required=False, max_length=20, help_text="e.g. Dr, Prof")
    first_name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    middle_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    suffix = forms.CharField(max_length=20, required=False, help_text="e.g. Jr, III")
    credentials = forms.CharField(max_length=100, required=False, help_text="e.g. MD, PhD")
    specialties = TextList(help_text="Separate with commas, e.g. Medical oncology, Thoracic oncology")
    npi = forms.CharField(
        label="NPI",
        max_length=10,
        required=False,
        help_text="10 digits",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    orcid = forms.CharField(label="ORCID iD", max_length=40, required=False, help_text="0000-0000-0000-000X")
    identifiers = IdentifiersField(
        label="Other identifiers", help_text="One per line as “scheme: value”, e.g. open_payments: 123456"
    )
    email = forms.CharField(
        label="E-mail", max_length=254, required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    city = forms.CharField(max_length=120, required=False)
    state = forms.CharField(label="State or region", max_length=80, required=False)
    country = forms.CharField(max_length=80, required=False)
    therapeutic_areas = forms.ModelMultipleChoiceField(
        queryset=TherapeuticArea.objects.none(),
        required=False,
        to_field_name="uuid",
        widget=forms.CheckboxSelectMultiple,
    )
    tier = forms.TypedChoiceField(
        choices=[("", "Not tiered"), *Tier.choices], required=False, coerce=int, empty_value=None
    )
    owner = OwnerField(
        queryset=User.objects.none(),
        required=False,
        to_field_name="uuid",
        empty_label="Nobody",
        label="Owner (MSL)",
    )
    territory = forms.ModelChoiceField(
        queryset=Territory.objects.none(), required=False, to_field_name="uuid", empty_label="None"
    )
    preferred_channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Preferred channels",
    )
    preferred_time_window = forms.CharField(
        max_length=120, required=False, label="Preferred time window", help_text="e.g. Tue–Thu 08:00–10:00"
    )
    preferred_frequency = forms.ChoiceField(
        choices=[("", "No preference"), *Frequency.choices], required=False, label="Preferred frequency"
    )
    consent_status = forms.ChoiceField(choices=ConsentStatus.choices, label="Consent")
    lawful_basis = forms.ChoiceField(choices=LawfulBasis.choices, label="Lawful basis for processing")

    # Form field name -> HCP data key (the action's field names); "prefix" clashes with Form.prefix.
    FIELD_MAP = {"prefix_": "prefix"}
    DATA_FIELDS = (
        "prefix_",
        "first_name",
        "middle_name",
        "last_name",
        "suffix",
        "credentials",
        "specialties",
        "npi",
        "orcid",
        "identifiers",
        "email",
        "phone",
        "city",
        "state",
        "country",
        "tier",
        "owner",
        "territory",
        "preferred_channels",
        "preferred_time_window",
        "preferred_frequency",
        "consent_status",
        "lawful_basis",
    )
    SECTIONS = (
        ("Name", ("prefix_", "first_name", "middle_name", "last_name", "suffix", "credentials")),
        ("Practice", ("specialties", "therapeutic_areas", "tier", "owner", "territory")),
        ("Identifiers", ("npi", "orcid", "identifiers")),
        ("Contact and place", ("email", "phone", "city", "state", "country")),
        ("Communication preferences", ("preferred_channels", "preferred_time_window", "preferred_frequency")),
        ("Consent", ("consent_status", "lawful_basis")),
    )

    def __init__(self, *args: Any, user: User, instance: HCP | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        field_of(self, "therapeutic_areas", forms.ModelChoiceField).queryset = area_choices(user)
        field_of(self, "owner", forms.ModelChoiceField).queryset = owner_choices(
            user, include=instance.owner if instance else None
        )
        field_of(self, "territory", forms.ModelChoiceField).queryset = territory_choices(
            user, include=instance.territory if instance else None
        )
        if instance is None:
            self.fields["owner"].initial = user.uuid if user.role == Role.MSL else None
            self.fields["lawful_basis"].initial = LawfulBasis.LEGITIMATE_INTEREST

    @classmethod
    def initial_from(cls, hcp: HCP) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(hcp, cls.FIELD_MAP.get(name, name)) for name in cls.DATA_FIELDS
        }
        initial["owner"] = hcp.owner.uuid if hcp.owner is not None else None
        initial["territory"] = hcp.territory.uuid if hcp.territory is not None else None
        initial["therapeutic_areas"] = [a.uuid for a in hcp.therapeutic_areas.all()]
        return initial

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Fields grouped for display, in fieldsets with a legend each."""
        return [
            (title, [self[name] for name in names if name in self.fields]) for title, names in self.SECTIONS
        ]

    def hcp_data(self) -> dict[str, Any]:
        """The cleaned input as the `data` dict `create_hcp` / `update_hcp` take."""
        data = {self.FIELD_MAP.get(name, name): self.cleaned_data.get(name) for name in self.DATA_FIELDS}
        data["tier"] = data["tier"] or None
        return data


class HCPCreateForm(HCPForm):
    """Create adds the confirmation that a look-alike record is a different person."""

    allow_duplicate = forms.BooleanField(
        required=False,
        label="This is a different person",
        help_text="Tick only after checking the similar records listed above.",
    )


class HCPEditForm(HCPForm):
    """Edit adds the reason recorded in the audit trail with every change."""

    reason = forms.CharField(
        max_length=500,
        label="Reason for the change",
        help_text="Recorded in the audit trail with the old and new values.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class MergeForm(LiaisonForm):
    """Merge a duplicate into the record being viewed."""

    duplicate = forms.ModelChoiceField(
        queryset=HCP.objects.none(), to_field_name="uuid", widget=forms.HiddenInput, label="Duplicate record"
    )
    reason = forms.CharField(
        max_length=500,
        label="Reason for the merge",
        help_text="e.g. “Same NPI; second record created from a congress list”.",
    )
    confirm = forms.BooleanField(label="I have checked that these two records are the same person")

    def __init__(self, *args: Any, user: User, survivor: HCP, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "duplicate", forms.ModelChoiceField).queryset = (
            HCP.objects.restrict(user, "view").exclude(status=HCPStatus.MERGED).exclude(pk=survivor.pk)
        )


# ---------------------------------------------------------------------------------------------------------------
# External people (payers, pharmacists, patient advocates ...): directory entries like organisations
# ---------------------------------------------------------------------------------------------------------------


def visible_external_people(user: User, uuids: Sequence[uuid_lib.UUID]) -> list[ExternalPerson]:
    """The external people with these uuids that `user` may see, in the order given."""
    found = {
        p.uuid: p
        for p in ExternalPerson.objects.restrict(user, "view")
        .select_related("organization")
        .filter(uuid__in=list(uuids))
    }
    return [found[u] for u in uuids if u in found]


class ExternalPersonFilterForm(LiaisonForm):
    """Search and role filter of the external-people directory (GET)."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Name, job title or organisation",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(label="Role", required=False, choices=[("", "All roles"), *ExternalRole.choices])


class ExternalPersonForm(AccessibleForm):
    """Create or edit an external person; the organisation comes from the organisation picker (a uuid)."""

    first_name = forms.CharField(label="First name", max_length=120)
    last_name = forms.CharField(label="Last name", max_length=120)
    role = forms.ChoiceField(label="Role", choices=ExternalRole.choices, initial=ExternalRole.OTHER)
    title = forms.CharField(
        label="Job title", required=False, max_length=200, help_text="e.g. Director of Pharmacy"
    )
    organization = UUIDModelChoiceField(
        Organization.objects.none(),
        label="Organisation",
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Pick the organisation from the search results."},
    )
    email = forms.EmailField(label="E-mail", required=False, max_length=254)
    country = forms.CharField(label="Country", required=False, max_length=80)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        field_of(self, "organization", forms.ModelChoiceField).queryset = Organization.objects.restrict(
            user, "view"
        )

    def selected_organizations(self) -> list[Organization]:
        """The organisation chip to show: the submitted one if valid, else the initial one."""
        if self.is_bound:
            org = getattr(self, "cleaned_data", {}).get("organization")
            return [org] if org else []
        initial = self.initial.get("organization")
        return [initial] if isinstance(initial, Organization) else []

    def person_data(self) -> dict[str, Any]:
        """The `data` dict `people.actions.save_external_person` takes."""
        return {
            name: self.cleaned_data.get(name) or ("" if name != "organization" else None)
            for name in self.fields
        }
