"""Helpers shared by the web forms of every app.

Forms only collect and type-check input; the actions validate for real (they are also called by the API, the
CLI and jobs). When an action refuses input, `add_action_errors` puts each message next to the field it is
about, so a user never sees a 500 or a message detached from its cause. `AccessibleForm`, the uuid-keyed
choice fields and the small input helpers below are what the field-medical pages (interactions, insights,
inquiries, safety reports) build their forms from.
"""

from __future__ import annotations

import uuid as uuid_lib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from .validation import error_messages

if TYPE_CHECKING:
    from liaison.accounts.models import User

F = TypeVar("F", bound=forms.Field)

# What a datetime-local input posts, with or without seconds, and the same with a space in place of the "T".
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

# Action messages are written to follow the field name ("is required", "must be one of ..."); shown next to the
# field they need a subject, which these prefixes detect.
_PREDICATES = ("is ", "are ", "must ", "contains ", "has ", "cannot ", "belongs ")


def _sentence(label: str, message: str) -> str:
    message = message.strip()
    if message.startswith(_PREDICATES):
        message = f"{label} {message}"
    return message[:1].upper() + message[1:] if message else message


def add_action_errors(
    form: forms.BaseForm, exc: ValidationError, field_map: dict[str, str] | None = None
) -> None:
    """Attach the messages of a ValidationError raised by an action to the form fields they name.

    `field_map` translates action field names to form field names where they differ; messages about fields
    the form does not have become form-wide (non-field) errors, prefixed with the field's name.
    """
    field_map = field_map or {}
    for name, messages in error_messages(exc).items():
        target = field_map.get(name, name)
        for message in messages:
            if target in form.fields:
                label = str(form.fields[target].label or target.replace("_", " ").capitalize())
                form.add_error(target, _sentence(label, message))
            elif name == "__all__":
                form.add_error(None, _sentence("", message))
            else:
                form.add_error(None, _sentence(name.replace("_", " ").capitalize(), message))


class LongText(forms.CharField):
    """A free-text field capped at the site-wide text limit, so a 1 MB paste is a form error, not a 500."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", settings.MAX_TEXT_LENGTH)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        super().__init__(**kwargs)


class TextList(forms.CharField):
    """Comma-, semicolon- or line-separated values, returned as a clean list of strings."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 5000)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def clean(self, value: Any) -> list[str]:
        # Validate the raw text first (length, NUL bytes), then split it.
        text = super().clean(value) or ""
        parts = [p.strip() for chunk in text.splitlines() for p in chunk.replace(";", ",").split(",")]
        return list(dict.fromkeys(p for p in parts if p))


class LiaisonForm(forms.Form):
    """A form whose labels carry no trailing colon and whose required fields are marked for the stylesheet.

    Given `choices_for=user`, every model choice list is narrowed to what that user may view (restrict()), so
    a select never offers, and a submitted uuid never resolves to, a record the user may not see.
    """

    required_css_class = "required"

    def __init__(self, *args: Any, choices_for: User | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if choices_for is not None:
            for field in self.fields.values():
                qs = getattr(field, "queryset", None)
                if isinstance(field, forms.ModelChoiceField) and qs is not None and hasattr(qs, "restrict"):
                    field.queryset = qs & qs.model.objects.restrict(choices_for, "view")


class AccessibleForm(LiaisonForm):
    """A LiaisonForm that leaves "required" to the server, so every error shows the same way: next to its field.

    Django 5.2 already links each widget to its help text and error list (aria-describedby) and marks it
    aria-invalid; `core/_field.html` renders the elements those ids name.
    """

    use_required_attribute = False


class UUIDModelChoiceField(forms.ModelChoiceField):
    """Choices keyed by the public uuid, never the database id."""

    def __init__(self, queryset: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "uuid")
        kwargs.setdefault("empty_label", "—")
        super().__init__(queryset, **kwargs)


class UUIDModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, queryset: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "uuid")
        super().__init__(queryset, **kwargs)


def field_of(form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """`form.fields[name]` as the field class it is declared with (`kind`, for type checkers only: `fields` holds
    plain `Field`s to them), so that setting its `queryset`, `choices` or `max_length` is checked."""
    return cast(F, form.fields[name])


def text_limit() -> int:
    """The longest free text accepted anywhere (settings.MAX_TEXT_LENGTH)."""
    return int(settings.MAX_TEXT_LENGTH)


def parse_uuids(values: Iterable[str]) -> list[uuid_lib.UUID] | None:
    """The UUIDs in `values` in order, de-duplicated; None if any value is not a UUID."""
    out: list[uuid_lib.UUID] = []
    for value in values:
        value = (value or "").strip()
        if not value:
            continue
        try:
            parsed = uuid_lib.UUID(value)
        except (ValueError, AttributeError, TypeError):
            return None
        if parsed not in out:
            out.append(parsed)
    return out


def now_local() -> Any:
    """Now, to the minute, in the site's time zone (what a datetime-local input shows)."""
    return timezone.localtime().replace(second=0, microsecond=0)
