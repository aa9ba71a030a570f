"""The form side of compliance flags: the author's override, shared by every form whose text is flag-checked."""

from __future__ import annotations

from typing import Any

from django import forms

from .flags import FLAG_REASON_MAX


class FlagOverrideMixin(forms.Form):
    """The author's way past compliance flags: tick "keep this wording" and say why (stored and audited).

    Works without JavaScript: a refused save shows the flags next to the field, and these two inputs are always on
    the form.
    """

    flag_override = forms.BooleanField(
        label="Keep the flagged wording",
        required=False,
        help_text="Only if the wording is accurate and needed, e.g. a verbatim quote of the HCP.",
    )
    flag_override_reason = forms.CharField(
        label="Why the flagged wording stays",
        required=False,
        max_length=FLAG_REASON_MAX,
        help_text="Kept on the record and in the audit trail for compliance review.",
    )

    def clean(self) -> dict[str, Any]:
        cd = super().clean() or {}
        if cd.get("flag_override") and not (cd.get("flag_override_reason") or "").strip():
            self.add_error("flag_override_reason", "Say why the flagged wording should stay.")
        return cd

    def override_reason(self) -> str:
        """The reason to hand to the action: only when the author ticked the override."""
        cd = getattr(self, "cleaned_data", {})
        return (cd.get("flag_override_reason") or "").strip() if cd.get("flag_override") else ""
