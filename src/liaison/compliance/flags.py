"""Compliance flags: promotional, comparative and off-label language, refused unless the author gives a reason.

The text rules live in `liaison_text.flags` (no Django); this module adds what needs the database: each
company product's approved indications, the refusal as a ValidationError naming the field, and the audit event
of an override. The actions of engagement and insights call it before they save free text.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from liaison.accounts.models import Product
from liaison.core.audit import record_event
from liaison.core.validation import clean_text

FLAG_REASON_MAX = 500
# Everyday words that the flagger's disease-suffix heuristic (-ism, -osis, -lysis, -oma...) takes for diseases.
# A mention ending in one of them is not an indication ("the mechanism of Onkotrex", "a subgroup analysis").
NOT_INDICATIONS = frozenset(
    [
        "mechanism",
        "mechanisms",
        "metabolism",
        "organism",
        "organisms",
        "analysis",
        "analyses",
        "diagnosis",
        "diagnoses",
        "prognosis",
        "prognoses",
        "hypothesis",
        "hypotheses",
        "synthesis",
        "emphasis",
        "basis",
        "criticism",
        "optimism",
        "scepticism",
        "skepticism",
        "enthusiasm",
        "realism",
        "tourism",
        "catabolism",
        "anabolism",
        "hydrolysis",
        "dialysis",
        "aroma",
        "diploma",
        "stroma",
    ]
)
FLAG_KINDS = {
    "superlative": "Superlative",
    "comparative": "Comparative claim",
    "promotional": "Promotional language",
    "off_label": "Off-label",
}


def compliance_flags(text: str) -> list[dict[str, Any]]:
    """The compliance flags in `text`, as stored on the record and shown next to the field.

    Off-label is checked for each company product the text names, against that product's approved indications
    (admins keep them on Product). A disease word that the AE lexicon reads as an adverse event is not an
    indication: that text is for drug safety, and a flag there would only put a hurdle before a safety report.
    Nor is an everyday word the suffix heuristic mistakes for a disease (NOT_INDICATIONS).
    """
    from liaison_text.ae_lexicon import detect
    from liaison_text.flags import promotional_flags

    if not (text or "").strip():
        return []
    found = {(f.kind, f.span): f for f in promotional_flags(text)}
    products = Product.objects.filter(active=True).values_list("name", "generic_name", "approved_indications")
    lowered = text.lower()
    events: list[tuple[int, int]] | None = None
    for name, generic, indications in products:
        names = [n for n in (name, generic) if n]
        if not indications or not any(n.lower() in lowered for n in names):
            continue
        for flag in promotional_flags(text, approved_indications=list(indications), product_names=names):
            if flag.kind != "off_label" or (flag.kind, flag.span) in found:
                continue
            words = flag.text.lower().split()
            if words and words[-1].strip(".,;:") in NOT_INDICATIONS:
                continue
            if events is None:
                events = [(s.start, s.end) for s in detect(text).spans if s.kind == "event"]
            if any(s < flag.span[1] and flag.span[0] < e for s, e in events):
                continue
            found[(flag.kind, flag.span)] = flag
    return [f.as_dict() for f in sorted(found.values(), key=lambda f: (f.span, f.kind))]


def flag_message(flag: dict[str, Any]) -> str:
    """One flag as the sentence shown next to the field (and in the API's 422 detail)."""
    label = FLAG_KINDS.get(flag["kind"], flag["kind"])
    return f"Compliance flag ({label}): {flag['message']}. Rephrase, or override with a reason."


def check_compliance_flags(
    texts: dict[str, str], *, override_reason: str = ""
) -> tuple[list[dict[str, Any]], str]:
    """Refuse flagged text unless the author gave a reason; returns (flags to store, reason to store).

    `texts` maps the field each text came from to the text; the ValidationError names those fields, so the
    page shows the flags next to the field and the API lists them in `detail`. With no flag left, nothing is
    stored (a stale reason would mislead a reviewer).
    """
    reason = clean_text(override_reason, "flag_override_reason", max_length=FLAG_REASON_MAX)
    by_field = {field: compliance_flags(text) for field, text in texts.items()}
    flags = [{**flag, "field": field} for field, found in by_field.items() for flag in found]
    if flags and not reason:
        raise ValidationError(
            {field: [flag_message(f) for f in found] for field, found in by_field.items() if found},
            code="compliance_flags",
        )
    return flags, (reason if flags else "")


def record_flag_override(obj: Any, flags: list[dict[str, Any]], reason: str) -> None:
    """The audit event of an override: which flags the author saved past, and why (the event's reason)."""
    if flags:
        record_event(
            f"{obj.audit_name}.flags_overridden",
            obj=obj,
            action="override_flags",
            changes={"compliance_flags": [None, flags]},
            reason=f"compliance flags overridden: {reason}",
        )
