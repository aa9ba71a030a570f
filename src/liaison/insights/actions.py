"""The write path for insights and listening priorities."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import Product, TherapeuticArea, User
from liaison.compliance.flags import check_compliance_flags, record_flag_override
from liaison.core.context import reason as audit_reason
from liaison.core.hooks import schedule_index, screen_texts
from liaison.core.permissions import require
from liaison.core.validation import clean_choice, clean_text
from liaison.engagement.models import Interaction
from liaison.people.models import HCP
from liaison_text.deidentify import deidentify, patient_identifier_warnings

from .aggregate_report import known_names
from .models import Insight, InsightStatus, ListeningPriority


@transaction.atomic
def create_insight(
    *,
    acting_user: User,
    text: str,
    therapeutic_area: TherapeuticArea | None,
    hcp: HCP | None = None,
    interaction: Interaction | None = None,
    listening_priority: ListeningPriority | None = None,
    product: Product | None = None,
    submit: bool = False,
    screen: bool = True,
    flag_override_reason: str = "",
) -> Insight:
    """Capture an insight, on an interaction or on its own; submitted insights are screened for safety.

    Compliance flags in the text refuse the save unless `flag_override_reason` is given (stored and audited).
    """
    require(acting_user, "insight", "add")
    text = clean_text(text, "text", required=True, max_length=5000)
    flags, override = check_compliance_flags({"text": text}, override_reason=flag_override_reason)
    if therapeutic_area is None:
        raise ValidationError({"therapeutic_area": "an insight needs a therapeutic area"})
    _check_links(
        therapeutic_area=therapeutic_area,
        hcp=hcp,
        interaction=interaction,
        listening_priority=listening_priority,
        product=product,
    )
    if listening_priority is not None and listening_priority.therapeutic_area_id != therapeutic_area.pk:
        raise ValidationError({"listening_priority": "belongs to another therapeutic area"})
    with audit_reason(f"compliance flags overridden: {override}") if flags else nullcontext():
        insight = Insight.objects.create(
            author=acting_user,
            text=text,
            therapeutic_area=therapeutic_area,
            hcp=hcp,
            interaction=interaction,
            listening_priority=listening_priority,
            product=product,
            status=InsightStatus.SUBMITTED if submit else InsightStatus.DRAFT,
            submitted_at=timezone.now() if submit else None,
            compliance_flags=flags,
            flag_override_reason=override,
        )
    record_flag_override(insight, flags, override)
    schedule_index("insight", insight.pk)
    if submit and screen:
        _screen(insight)
    return insight


def _check_links(**links: Any) -> None:
    """Each linked record is of the right kind (a wrong type is bad input, never a server error)."""
    kinds = {
        "therapeutic_area": TherapeuticArea,
        "hcp": HCP,
        "interaction": Interaction,
        "listening_priority": ListeningPriority,
        "product": Product,
    }
    for field, value in links.items():
        if value is not None and not isinstance(value, kinds[field]):
            raise ValidationError({field: "unknown record"})


def _screen(insight: Insight) -> None:
    """Screen a submitted insight; Day 0 is its interaction's time, or when it was captured."""
    day_zero = insight.interaction.occurred_at if insight.interaction is not None else insight.created_at
    screen_texts(
        {"text": insight.text},
        reporter=insight.author,
        day_zero=day_zero,
        source=insight,
        product=insight.product,
    )


@transaction.atomic
def update_insight(
    insight: Insight,
    *,
    acting_user: User,
    text: str | None = None,
    listening_priority: ListeningPriority | None = None,
    submit: bool = False,
    flag_override_reason: str = "",
) -> Insight:
    """Edit a draft insight (only its author) and optionally submit it; changed text is checked for compliance
    flags again (refused unless `flag_override_reason` is given)."""
    require(acting_user, "insight", "change")
    if insight.author_id != acting_user.pk:
        raise ValidationError({"__all__": "only the author can edit an insight"})
    if insight.status != InsightStatus.DRAFT:
        raise ValidationError({"__all__": "only draft insights can be edited"})
    text_changed = False
    if text is not None:
        text = clean_text(text, "text", required=True, max_length=5000)
        if text != insight.text:
            text_changed = True
            insight.compliance_flags, insight.flag_override_reason = check_compliance_flags(
                {"text": text}, override_reason=flag_override_reason
            )
        insight.text = text
    if listening_priority is not None:
        _check_links(listening_priority=listening_priority)
        if listening_priority.therapeutic_area_id != insight.therapeutic_area_id:
            raise ValidationError({"listening_priority": "belongs to another therapeutic area"})
        insight.listening_priority = listening_priority
    if submit:
        insight.status = InsightStatus.SUBMITTED
        insight.submitted_at = timezone.now()
    override = insight.flag_override_reason if text_changed else ""
    with audit_reason(f"compliance flags overridden: {override}") if override else nullcontext():
        insight.save()
    if override:
        record_flag_override(insight, insight.compliance_flags, override)
    schedule_index("insight", insight.pk)
    if submit:
        _screen(insight)
    return insight


@transaction.atomic
def review_insight(
    insight: Insight,
    *,
    acting_user: User,
    note: str = "",
    listening_priority: ListeningPriority | None = None,
) -> Insight:
    """A manager or medical lead reviews a submitted insight, optionally re-assigning its listening priority."""
    require(acting_user, "insight", "review")
    if not Insight.objects.restrict(acting_user, "review").filter(pk=insight.pk).exists():
        raise ValidationError({"__all__": "you may not review this insight"})
    if insight.status != InsightStatus.SUBMITTED:
        raise ValidationError(
            {"status": f"only submitted insights can be reviewed (this one is {insight.status})"}
        )
    if insight.author_id == acting_user.pk:
        raise ValidationError({"__all__": "you cannot review your own insight"})
    if listening_priority is not None:
        _check_links(listening_priority=listening_priority)
        if listening_priority.therapeutic_area_id != insight.therapeutic_area_id:
            raise ValidationError({"listening_priority": "belongs to another therapeutic area"})
        insight.listening_priority = listening_priority
    insight.status = InsightStatus.REVIEWED
    insight.reviewed_by = acting_user
    insight.reviewed_at = timezone.now()
    insight.review_note = clean_text(note, "note", max_length=2000)
    insight.save()
    return insight


SUMMARY_MAX_LENGTH = 1000
COPIED_WORDS = 8  # a run of this many words of the insight in the summary is a copy, not a rewrite


def _summary_problems(summary: str, insight: Insight) -> list[str]:
    """Why `summary` may not be released for `insight`: a copy of its wording, or anything identifying."""
    problems = []
    words = summary.lower().split()
    original = " ".join(insight.text.lower().split())
    runs = {" ".join(words[i : i + COPIED_WORDS]) for i in range(max(len(words) - COPIED_WORDS + 1, 1))}
    if " ".join(words) == original or any(
        run in original for run in runs if len(run.split()) >= COPIED_WORDS
    ):
        problems.append(
            "repeats the insight's own wording: rewrite it in your words for readers outside medical"
        )
    if deidentify(summary, names=known_names()) != summary or patient_identifier_warnings(summary):
        problems.append(
            "holds a name, an identifier, contact details or a date: describe what was heard without them"
        )
    return problems


@transaction.atomic
def release_summary(insight: Insight, *, acting_user: User, summary: str) -> Insight:
    """A medical reviewer releases a summary of a reviewed insight, rewritten for audiences beyond medical.

    The released summary is the only insight wording the commercial report may show (and only where its group
    is large enough to be shown at all); the insight's own text never leaves medical. Refused when the summary
    copies the insight's wording or holds a name, identifier or date; not the author's to release.
    """
    require(acting_user, "insight", "release")
    if not Insight.objects.restrict(acting_user, "release").filter(pk=insight.pk).exists():
        raise ValidationError({"__all__": "you may not release this insight"})
    if insight.status != InsightStatus.REVIEWED:
        raise ValidationError(
            {"status": f"only reviewed insights can be released (this one is {insight.status})"}
        )
    if insight.author_id == acting_user.pk:
        raise ValidationError({"__all__": "you cannot release your own insight"})
    summary = clean_text(summary, "released_summary", required=True, max_length=SUMMARY_MAX_LENGTH)
    problems = _summary_problems(summary, insight)
    if problems:
        raise ValidationError({"released_summary": problems})
    insight.released_summary = summary
    insight.released_by = acting_user
    insight.released_at = timezone.now()
    with audit_reason("summary released for audiences beyond medical"):
        insight.save(update_fields=["released_summary", "released_by", "released_at", "updated_at"])
    return insight


@transaction.atomic
def withdraw_summary(insight: Insight, *, acting_user: User) -> Insight:
    """Withdraw a released summary: the commercial report stops showing it at once (the audit trail keeps it)."""
    require(acting_user, "insight", "release")
    if not Insight.objects.restrict(acting_user, "release").filter(pk=insight.pk).exists():
        raise ValidationError({"__all__": "you may not withdraw this summary"})
    if not insight.released_summary:
        raise ValidationError({"released_summary": "no summary has been released"})
    insight.released_summary, insight.released_by, insight.released_at = "", None, None
    with audit_reason("released summary withdrawn"):
        insight.save(update_fields=["released_summary", "released_by", "released_at", "updated_at"])
    return insight


@transaction.atomic
def save_listening_priority(
    priority: ListeningPriority | None,
    *,
    acting_user: User | None,
    therapeutic_area: TherapeuticArea,
    title: str,
    description: str = "",
    active: bool = True,
    order: int = 0,
) -> ListeningPriority:
    """Create or change a listening priority (key insight topic) of a therapeutic area."""
    if acting_user is not None:
        require(acting_user, "listening_priority", "add" if priority is None else "change")
    _check_links(therapeutic_area=therapeutic_area)
    priority = priority or ListeningPriority()
    priority.therapeutic_area = therapeutic_area
    priority.title = clean_text(title, "title", required=True, max_length=200)
    priority.description = clean_text(description, "description", max_length=5000)
    priority.active = bool(active)
    if not isinstance(order, int) or isinstance(order, bool) or not 0 <= order <= 1000:
        raise ValidationError({"order": "must be a whole number between 0 and 1000"})
    priority.order = order
    priority.save()
    return priority


def status_choice(value: Any) -> str:
    """An insight status from user input, or a ValidationError on `status`."""
    return clean_choice(value, "status", InsightStatus.values)


def move_hcp_records(duplicate: HCP, survivor: HCP) -> None:
    """An HCP merge step (people/extensions.py): insights about `duplicate` move to `survivor` (audited)."""
    Insight.objects.filter(hcp=duplicate).update(hcp=survivor)
