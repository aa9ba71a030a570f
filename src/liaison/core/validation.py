"""Input checks shared by every action: text hygiene and required choices.

Actions validate again even when a form or schema already did: the CLI, jobs and imports call actions
directly, and the write path must refuse bad data whoever calls it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any, field: str, *, required: bool = False, max_length: int | None = None) -> str:
    """Normalise free text (NFC, stripped); refuse NUL and control characters, lone surrogates and excess length."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: "must be text"})
    if _CONTROL.search(value):
        raise ValidationError({field: "contains control characters (such as NUL) that are not allowed"})
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError({field: "is not valid Unicode text"}) from exc
    value = unicodedata.normalize("NFC", value).strip()
    limit = max_length or settings.MAX_TEXT_LENGTH
    if len(value) > limit:
        raise ValidationError({field: f"is too long ({len(value)} characters; the limit is {limit})"})
    if required and not value:
        raise ValidationError({field: "is required"})
    return value


def clean_choice(value: Any, field: str, choices: Iterable[Any], *, required: bool = True) -> Any:
    allowed = list(choices)
    if value in (None, "") and not required:
        return value if value is not None else ""
    if value not in allowed:
        raise ValidationError({field: f"must be one of: {', '.join(str(c) for c in allowed)}"})
    return value


def clean_text_list(values: Any, field: str, *, max_items: int = 50, max_length: int = 200) -> list[str]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = [v for v in re.split(r"[,;\n]", values)]
    if not isinstance(values, list | tuple):
        raise ValidationError({field: "must be a list of text"})
    cleaned = [clean_text(v, field, max_length=max_length) for v in values]
    cleaned = list(dict.fromkeys(v for v in cleaned if v))
    if len(cleaned) > max_items:
        raise ValidationError({field: f"has more than {max_items} items"})
    return cleaned


def error_messages(exc: ValidationError) -> dict[str, list[str]]:
    """{field: [messages]} from any ValidationError ("__all__" for non-field errors)."""
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}
