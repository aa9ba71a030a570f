"""Forms for the administration pages (users, reference data) and API tokens, and the choice lists of
therapeutic areas and products that the field-medical forms offer.

They collect and type-check input; `accounts.actions` validates and saves.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms

from liaison.core.forms import LiaisonForm, LongText, TextList
from liaison.core.roles import INVITED_ROLES, Role

from .models import Product, Team, Territory, TherapeuticArea, User


def area_choices(user: User) -> Any:
    """Active therapeutic areas the user may see."""
    return TherapeuticArea.objects.restrict(user, "view").filter(active=True)


def product_choices(user: User) -> Any:
    """Active products the user may see, with their therapeutic area."""
    return Product.objects.restrict(user, "view").filter(active=True).select_related("therapeutic_area")


class _UuidChoice(forms.ModelChoiceField):
    """A select whose values are public uuids, never database ids."""

    def __init__(self, queryset: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "uuid")
        super().__init__(queryset, **kwargs)


class _UserFields(LiaisonForm):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.CharField(label="E-mail", max_length=254, required=False, widget=forms.EmailInput)
    title = forms.CharField(label="Job title", max_length=120, required=False)
    # External advisors are never made by hand: the invitation to a board creates them (docs/programs.md).
    role = forms.ChoiceField(
        choices=[c for c in Role.choices if c[0] not in INVITED_ROLES],
        help_text="Decides what the user may see and do.",
    )
    team = _UuidChoice(Team.objects.all(), required=False, empty_label="No team")
    territory = _UuidChoice(Territory.objects.all(), required=False, empty_label="No territory")
    therapeutic_areas = forms.ModelMultipleChoiceField(
        TherapeuticArea.objects.filter(active=True),
        required=False,
        to_field_name="uuid",
        widget=forms.CheckboxSelectMultiple,
    )


class UserCreateForm(_UserFields):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    password = forms.CharField(
        max_length=128,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters. Leave empty for an account that only uses API tokens.",
    )
    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "title",
        "role",
        "team",
        "territory",
        "therapeutic_areas",
        "password",
    ]


class UserEditForm(_UserFields):
    is_active = forms.BooleanField(
        required=False, label="Active", help_text="Inactive users cannot sign in or use their API tokens."
    )
    new_password = forms.CharField(
        max_length=128,
        required=False,
        strip=False,
        label="New password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current password.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.initial.get("role")
        if current in INVITED_ROLES:
            # An advisor stays one (an admin may still deactivate them); nobody becomes one by hand.
            role = cast(forms.ChoiceField, self.fields["role"])
            role.choices = [(current, Role(current).label)]


class TherapeuticAreaForm(LiaisonForm):
    name = forms.CharField(max_length=120)
    code = forms.SlugField(
        max_length=40, required=False, help_text="Short code; made from the name if empty."
    )
    description = LongText(max_length=5000)
    mesh_tree_numbers = TextList(
        label="MeSH tree numbers",
        help_text="Subtrees that define the area for KOL scoring, e.g. C04, C14.280",
    )
    active = forms.BooleanField(required=False, initial=True)


class ProductForm(LiaisonForm):
    name = forms.CharField(max_length=120)
    generic_name = forms.CharField(max_length=120, required=False)
    therapeutic_area = _UuidChoice(TherapeuticArea.objects.all())
    approved_indications = TextList(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line (or separated by commas). Used to flag off-label questions.",
    )
    active = forms.BooleanField(required=False, initial=True)


class TeamForm(LiaisonForm):
    name = forms.CharField(max_length=120, label="Team name")
    therapeutic_area = _UuidChoice(TherapeuticArea.objects.all(), required=False, empty_label="None")


class TerritoryForm(LiaisonForm):
    name = forms.CharField(max_length=120, label="Territory name")
    team = _UuidChoice(Team.objects.all(), required=False, empty_label="No team")
    regions = TextList(help_text="State or region codes separated by commas, e.g. IA, NE")


class TokenForm(LiaisonForm):
    name = forms.CharField(
        max_length=120, label="Token name", help_text="What will use it, e.g. “laptop sync”."
    )


def user_initial(user: User) -> dict[str, Any]:
    """Initial values of the user edit form."""
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "title": user.title,
        "role": user.role,
        "team": user.team.uuid if user.team is not None else None,
        "territory": user.territory.uuid if user.territory is not None else None,
        "therapeutic_areas": [a.uuid for a in user.therapeutic_areas.all()],
        "is_active": user.is_active,
    }


class SecondFactorCodeForm(LiaisonForm):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class ResetSecondFactorForm(LiaisonForm):
    reason = forms.CharField(
        max_length=500, required=False, help_text="Why, for the audit trail (e.g. “phone lost, ticket 4711”)."
    )
