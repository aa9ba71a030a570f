"""The write path for interactions, follow-ups and the feedback HCPs give on interactions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import Product, TherapeuticArea, User
from liaison.compliance.flags import check_compliance_flags, record_flag_override
from liaison.core.context import reason as audit_reason
from liaison.core.hooks import create_insight, schedule_index, screen_texts
from liaison.core.permissions import require
from liaison.core.validation import clean_choice, clean_text, clean_text_list
from liaison.people.models import HCP, Channel, ExternalPerson, HCPStatus

from .models import (
    AEAttestation,
    FeedbackSource,
    FollowUp,
    FollowUpStatus,
    HcpFeedback,
    Initiation,
    Interaction,
    InteractionAttendee,
    InteractionStatus,
    Purpose,
)

FUTURE_SLACK = dt.timedelta(minutes=10)


def _clean_interaction(data: dict[str, Any], *, partial: bool, planning: bool = False) -> dict[str, Any]:
    """Validate the interaction fields present in `data` (all of them unless `partial`).

    `planning` (a draft) lets the time lie in the future: a planned meeting. A submitted interaction happened.
    """
    if not isinstance(data, dict):
        raise ValidationError({"__all__": "interaction data must be an object"})
    cleaned: dict[str, Any] = {}
    if "occurred_at" in data or not partial:
        when = data.get("occurred_at")
        if not isinstance(when, dt.datetime):
            raise ValidationError({"occurred_at": "a date and time is required"})
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        if not planning and when > timezone.now() + FUTURE_SLACK:
            raise ValidationError(
                {"occurred_at": "cannot be in the future; save a draft to plan a meeting ahead"}
            )
        cleaned["occurred_at"] = when
    if "channel" in data or not partial:
        cleaned["channel"] = clean_choice(data.get("channel"), "channel", Channel.values)
    if "purpose" in data or not partial:
        cleaned["purpose"] = clean_choice(data.get("purpose"), "purpose", Purpose.values)
    if "initiation" in data or not partial:
        cleaned["initiation"] = clean_choice(
            data.get("initiation") or Initiation.PROACTIVE, "initiation", Initiation.values
        )
    if "duration_minutes" in data or not partial:
        duration = data.get("duration_minutes", 30)
        if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= 24 * 60:
            raise ValidationError(
                {"duration_minutes": "must be a whole number of minutes between 1 and 1440"}
            )
        cleaned["duration_minutes"] = duration
    if "topics" in data or not partial:
        cleaned["topics"] = clean_text_list(data.get("topics"), "topics")
    for field in ("notes", "materials_shared"):
        if field in data or not partial:
            cleaned[field] = clean_text(data.get(field, ""), field)
    if "ae_attestation" in data or not partial:
        cleaned["ae_attestation"] = clean_choice(
            data.get("ae_attestation") or "", "ae_attestation", AEAttestation.values, required=False
        )
    if "therapeutic_area" in data:
        area = data["therapeutic_area"]
        if area is not None and not isinstance(area, TherapeuticArea):
            raise ValidationError({"therapeutic_area": "unknown therapeutic area"})
        cleaned["therapeutic_area"] = area
    return cleaned


def _check_hcps(attendees: Sequence[HCP]) -> list[HCP]:
    """Distinct, current (not merged) HCP records."""
    if isinstance(attendees, str | bytes | dict) or not isinstance(attendees, Iterable):
        raise ValidationError({"attendees": "must be a list of HCP records"})
    attendees = list(attendees)
    if any(not isinstance(h, HCP) for h in attendees):
        raise ValidationError({"attendees": "unknown HCP record"})
    unique = list(dict.fromkeys(attendees))
    if any(h.status == HCPStatus.MERGED for h in unique):
        raise ValidationError(
            {"attendees": "a merged HCP record cannot attend; use the record it was merged into"}
        )
    return unique


def _check_external(external_attendees: Sequence[ExternalPerson]) -> list[ExternalPerson]:
    """Distinct external-person records."""
    if isinstance(external_attendees, str | bytes | dict) or not isinstance(external_attendees, Iterable):
        raise ValidationError({"external_attendees": "must be a list of external people"})
    people = list(external_attendees)
    if any(not isinstance(p, ExternalPerson) for p in people):
        raise ValidationError({"external_attendees": "unknown external person"})
    return list(dict.fromkeys(people))


def _check_attendees(
    attendees: Sequence[HCP], external_attendees: Sequence[ExternalPerson] = ()
) -> tuple[list[HCP], list[ExternalPerson]]:
    """At least one attendee, HCP or external (a meeting with only a payer is an interaction), 200 at most."""
    hcps, external = _check_hcps(attendees), _check_external(external_attendees)
    if not hcps and not external:
        raise ValidationError({"attendees": "at least one HCP or external person must attend"})
    if len(hcps) + len(external) > 200:
        raise ValidationError({"attendees": "at most 200 attendees"})
    return hcps, external


@transaction.atomic
def log_interaction(
    *,
    acting_user: User,
    attendees: Sequence[HCP],
    data: dict[str, Any],
    external_attendees: Sequence[ExternalPerson] = (),
    products: Sequence[Product] = (),
    insights: Sequence[dict[str, Any]] = (),
    follow_ups: Sequence[dict[str, Any]] = (),
    submit: bool = True,
    flag_override_reason: str = "",
) -> Interaction:
    """Log an interaction with its attendees (HCPs, external people or both), inline insights and follow-ups,
    and screen it for safety. A draft (`submit=False`) may be dated in the future: a planned meeting.

    Submitting requires the AE attestation. A "yes", or an AE or special-situation term in the notes or an
    insight, raises a safety report with Day 0 = the interaction time, in this same transaction.
    Compliance flags in the notes or an inline insight refuse the save unless `flag_override_reason` is given;
    the override is stored on each flagged record and audited.
    """
    require(acting_user, "interaction", "add")
    cleaned = _clean_interaction(data, partial=False, planning=not submit)
    people, external = _check_attendees(attendees, external_attendees)
    products = _check_products(products)
    if submit and not cleaned["ae_attestation"]:
        raise ValidationError(
            {
                "ae_attestation": "answer whether the HCP mentioned an adverse event or special "
                "situation before submitting"
            }
        )
    flags, override = check_compliance_flags(
        {
            "notes": cleaned["notes"],
            **{f"insights.{i}.text": str(item.get("text") or "") for i, item in enumerate(insights)},
        },
        override_reason=flag_override_reason,
    )
    note_flags = [f for f in flags if f["field"] == "notes"]
    with audit_reason(f"compliance flags overridden: {override}") if note_flags else nullcontext():
        interaction = Interaction.objects.create(
            owner=acting_user,
            status=InteractionStatus.SUBMITTED if submit else InteractionStatus.DRAFT,
            submitted_at=timezone.now() if submit else None,
            compliance_flags=note_flags,
            flag_override_reason=override if note_flags else "",
            **cleaned,
        )
    record_flag_override(interaction, note_flags, override)
    schedule_index("interaction", interaction.pk)
    for hcp in people:
        InteractionAttendee.objects.create(interaction=interaction, hcp=hcp)
    if external:
        interaction.external_attendees.set(external)
    if products:
        interaction.products.set(products)
    created_insights = []
    for i, item in enumerate(insights):
        if not (item.get("text") or "").strip():
            continue
        created_insights.append(
            create_insight(
                acting_user=acting_user,
                text=item["text"],
                therapeutic_area=item.get("therapeutic_area") or interaction.therapeutic_area,
                hcp=_attributed_hcp(item.get("hcp"), people, f"insights.{i}.hcp", required=False),
                interaction=interaction,
                listening_priority=item.get("listening_priority"),
                # The product discussed carries over when there was one; with several the MSL picks.
                product=item.get("product") or (products[0] if len(products) == 1 else None),
                submit=submit,
                screen=False,
                flag_override_reason=flag_override_reason,
            )
        )
    for i, item in enumerate(follow_ups):
        if not (item.get("description") or "").strip():
            continue
        create_follow_up(
            acting_user=acting_user,
            description=item["description"],
            due_date=item.get("due_date"),
            hcp=_attributed_hcp(item.get("hcp"), people, f"follow_ups.{i}.hcp", required=True),
            interaction=interaction,
            owner=item.get("owner"),
        )
    if submit:
        screen_interaction(interaction, insights=created_insights)
    return interaction


def _attributed_hcp(chosen: Any, people: Sequence[HCP], field: str, *, required: bool) -> HCP | None:
    """The attendee an inline insight or follow-up is about: the one chosen (it must be an attendee), else the
    only HCP attendee. With several, an insight left unattributed is about the meeting as a whole (it shows in
    every attendee's brief); a follow-up (`required`) must name its HCP, never silently the first."""
    if chosen is not None:
        if chosen not in people:
            raise ValidationError({field: "choose one of the HCPs who attended"})
        return chosen
    if len(people) == 1:
        return people[0]
    if required and len(people) > 1:
        raise ValidationError({field: "several HCPs attended: choose which one this follow-up is for"})
    return None


def _check_products(products: Sequence[Product]) -> list[Product]:
    """Products discussed must be Product records."""
    if isinstance(products, str | bytes | dict) or not isinstance(products, Iterable):
        raise ValidationError({"products": "must be a list of products"})
    products = list(products)
    if any(not isinstance(p, Product) for p in products):
        raise ValidationError({"products": "unknown product"})
    return list(products)


def screen_interaction(
    interaction: Interaction, *, insights: Sequence[Any] = (), attested: bool | None = None
) -> list[Any]:
    """Screen a submitted interaction's free text (and its insights) and raise the safety report it calls for;
    Day 0 is the interaction time."""
    texts = {"notes": interaction.notes, "materials_shared": interaction.materials_shared}
    for i, insight in enumerate(insights, 1):
        texts[f"insight {i}"] = insight.text
    products = list(interaction.products.all())
    return screen_texts(
        texts,
        reporter=interaction.owner,
        day_zero=interaction.occurred_at,
        attested=(interaction.ae_attestation == AEAttestation.YES) if attested is None else attested,
        source=interaction,
        product=products[0] if len(products) == 1 else None,
    )


@transaction.atomic
def update_interaction(
    interaction: Interaction,
    *,
    acting_user: User,
    data: dict[str, Any],
    attendees: Sequence[HCP] | None = None,
    external_attendees: Sequence[ExternalPerson] | None = None,
    products: Sequence[Product] | None = None,
    submit: bool | None = None,
    reason: str = "",
    flag_override_reason: str = "",
) -> Interaction:
    """Edit an interaction. A submitted one needs a reason; new AE text raises a report (Day 0 unchanged).

    Submitting a draft logs it: a planned meeting is submitted once it took place (its time no longer in the
    future), and is screened then.

    Changed notes are checked for compliance flags again: refused unless `flag_override_reason` is given.
    """
    require(acting_user, "interaction", "change")
    if not Interaction.objects.restrict(acting_user, "change").filter(pk=interaction.pk).exists():
        raise ValidationError({"__all__": "you may not change this interaction"})
    was_submitted = interaction.status == InteractionStatus.SUBMITTED
    reason = clean_text(reason, "reason", max_length=500)
    if was_submitted and not reason:
        raise ValidationError({"reason": "a reason is required to change a submitted interaction"})
    if was_submitted and "occurred_at" in data and data["occurred_at"] != interaction.occurred_at:
        raise ValidationError(
            {"occurred_at": "the time of a submitted interaction is Day 0 for safety and cannot change"}
        )
    submitting = bool(submit) and not was_submitted
    cleaned = _clean_interaction(data, partial=True, planning=not (was_submitted or submitting))
    if submitting and cleaned.get("occurred_at", interaction.occurred_at) > timezone.now() + FUTURE_SLACK:
        raise ValidationError(
            {"occurred_at": "this meeting is still planned for the future; log it once it has taken place"}
        )
    if attendees is not None or external_attendees is not None:
        people, external = _check_attendees(
            list(interaction.attendees.all()) if attendees is None else attendees,
            list(interaction.external_attendees.all()) if external_attendees is None else external_attendees,
        )
    withdrawn = (
        was_submitted
        and cleaned.get("ae_attestation", interaction.ae_attestation) != interaction.ae_attestation
    )
    if withdrawn and (interaction.ae_attestation == AEAttestation.YES or not cleaned["ae_attestation"]):
        raise ValidationError(
            {
                "ae_attestation": "a submitted attestation can only change from no to yes; "
                "a reported adverse event cannot be withdrawn here"
            }
        )
    notes_changed = "notes" in cleaned and cleaned["notes"] != interaction.notes
    if notes_changed:
        flags, override = check_compliance_flags(
            {"notes": cleaned["notes"]}, override_reason=flag_override_reason
        )
        interaction.compliance_flags, interaction.flag_override_reason = flags, override
    old_texts = (interaction.notes, interaction.materials_shared, interaction.ae_attestation)
    for field, value in cleaned.items():
        setattr(interaction, field, value)
    if submitting:
        if not interaction.ae_attestation:
            raise ValidationError({"ae_attestation": "answer the adverse event question before submitting"})
        interaction.status = InteractionStatus.SUBMITTED
        interaction.submitted_at = timezone.now()
    why = reason or ("submitted" if submitting else "edited draft")
    if notes_changed and interaction.flag_override_reason:
        why += f"; compliance flags overridden: {interaction.flag_override_reason}"
    with audit_reason(why):
        interaction.save()
        schedule_index("interaction", interaction.pk)
        if attendees is not None:
            interaction.attendance.exclude(hcp__in=people).delete()
            existing = set(interaction.attendance.values_list("hcp_id", flat=True))
            for hcp in people:
                if hcp.pk not in existing:
                    InteractionAttendee.objects.create(interaction=interaction, hcp=hcp)
        if external_attendees is not None:
            interaction.external_attendees.set(external)
        if products is not None:
            interaction.products.set(_check_products(products))
        if notes_changed:
            record_flag_override(interaction, interaction.compliance_flags, interaction.flag_override_reason)
        new_texts = (interaction.notes, interaction.materials_shared, interaction.ae_attestation)
        if submitting or (interaction.status == InteractionStatus.SUBMITTED and new_texts != old_texts):
            # A "yes" already reported at submission is not reported again on every later edit (a typo fix would
            # otherwise send drug safety a duplicate); new AE text in the edit still raises a report.
            newly_attested = interaction.ae_attestation == AEAttestation.YES and (
                submitting or old_texts[2] != AEAttestation.YES
            )
            screen_interaction(
                interaction,
                insights=list(interaction.insights.all()) if submitting else (),
                attested=newly_attested,
            )
    return interaction


@transaction.atomic
def create_follow_up(
    *,
    acting_user: User,
    description: str,
    due_date: Any,
    hcp: HCP | None = None,
    interaction: Interaction | None = None,
    owner: User | None = None,
) -> FollowUp:
    """Promise something to an HCP by a date; the owner defaults to the acting user."""
    require(acting_user, "follow_up", "add")
    if not isinstance(due_date, dt.date) or isinstance(due_date, dt.datetime):
        raise ValidationError({"due_date": "a due date (YYYY-MM-DD) is required"})
    for field, value, model in (
        ("hcp", hcp, HCP),
        ("interaction", interaction, Interaction),
        ("owner", owner, User),
    ):
        if value is not None and not isinstance(value, model):
            raise ValidationError({field: "unknown record"})
    return FollowUp.objects.create(
        owner=owner or acting_user,
        hcp=hcp,
        interaction=interaction,
        due_date=due_date,
        description=clean_text(description, "description", required=True, max_length=2000),
    )


@transaction.atomic
def update_follow_up(
    follow_up: FollowUp,
    *,
    acting_user: User,
    status: str | None = None,
    due_date: dt.date | None = None,
    description: str | None = None,
) -> FollowUp:
    """Complete, cancel, reschedule or reword a follow-up."""
    require(acting_user, "follow_up", "change")
    if not FollowUp.objects.restrict(acting_user, "change").filter(pk=follow_up.pk).exists():
        raise ValidationError({"__all__": "you may not change this follow-up"})
    if status is not None:
        follow_up.status = clean_choice(status, "status", FollowUpStatus.values)
        follow_up.completed_at = timezone.now() if status == FollowUpStatus.DONE else None
    if due_date is not None:
        if not isinstance(due_date, dt.date) or isinstance(due_date, dt.datetime):
            raise ValidationError({"due_date": "must be a date (YYYY-MM-DD)"})
        follow_up.due_date = due_date
    if description is not None:
        follow_up.description = clean_text(description, "description", required=True, max_length=2000)
    follow_up.save()
    return follow_up


# ---------------------------------------------------------------------------------------------------------------
# HCP feedback: what an attendee said the exchange was worth
# ---------------------------------------------------------------------------------------------------------------

FEEDBACK_COMMENT_MAX = 2000


def _clean_feedback(
    interaction: Interaction, *, hcp: Any, value: Any, source: Any, received_on: Any, comment: Any
) -> dict[str, Any]:
    """Check one feedback record against its interaction; every refusal names the field it is about."""
    if interaction.status != InteractionStatus.SUBMITTED:
        raise ValidationError(
            {"interaction": "feedback can only be recorded on a submitted interaction; submit it first"}
        )
    if not isinstance(hcp, HCP) or not interaction.attendance.filter(hcp=hcp).exists():
        raise ValidationError({"hcp": "must be an HCP who attended this interaction"})
    if isinstance(value, bool) or not isinstance(value, int) or value not in range(1, 6):
        raise ValidationError({"value": "must be a whole number from 1 (not valuable) to 5 (very valuable)"})
    if not isinstance(received_on, dt.date) or isinstance(received_on, dt.datetime):
        raise ValidationError({"received_on": "a date (YYYY-MM-DD) is required"})
    met_on = timezone.localtime(interaction.occurred_at).date()
    if received_on < met_on:
        raise ValidationError({"received_on": f"cannot be before the interaction ({met_on:%Y-%m-%d})"})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": "cannot be in the future"})
    return {
        "value": value,
        "source": clean_choice(source, "source", FeedbackSource.values),
        "received_on": received_on,
        "comment": clean_text(comment, "comment", max_length=FEEDBACK_COMMENT_MAX),
    }


@transaction.atomic
def record_hcp_feedback(
    interaction: Interaction,
    *,
    acting_user: User,
    hcp: HCP,
    value: int,
    source: str,
    received_on: dt.date,
    comment: str = "",
) -> HcpFeedback:
    """Record how valuable an attendee found an interaction (1-5); recording again for the same HCP updates it.

    Only a submitted interaction the user may see, and only an HCP who attended it: feedback on a draft or from
    someone who was not there would skew the managers' "KOL feedback" metric. The HCP's words are free text
    like the interaction's notes, so the comment is screened for adverse events as they are; Day 0 is the day
    the HCP said it (never before the meeting).
    """
    require(acting_user, "hcp_feedback", "add")
    if not isinstance(interaction, Interaction) or (
        not Interaction.objects.restrict(acting_user, "view").filter(pk=interaction.pk).exists()
    ):
        raise ValidationError({"interaction": "unknown interaction"})
    cleaned = _clean_feedback(
        interaction, hcp=hcp, value=value, source=source, received_on=received_on, comment=comment
    )
    feedback = HcpFeedback.objects.select_for_update().filter(interaction=interaction, hcp=hcp).first()
    old_comment = feedback.comment if feedback else ""
    if feedback is None:
        feedback = HcpFeedback.objects.create(
            interaction=interaction, hcp=hcp, recorded_by=acting_user, **cleaned
        )
    else:
        require(acting_user, "hcp_feedback", "change")
        for field, new in cleaned.items():
            setattr(feedback, field, new)
        feedback.recorded_by = acting_user
        with audit_reason("feedback recorded again"):
            feedback.save()
    if feedback.comment and feedback.comment != old_comment:
        learned = timezone.make_aware(dt.datetime.combine(feedback.received_on, dt.time.min))
        screen_texts(
            {"hcp feedback": feedback.comment},
            reporter=acting_user,
            day_zero=max(learned, interaction.occurred_at),
            source=interaction,
        )
    return feedback


def move_hcp_records(duplicate: HCP, survivor: HCP) -> None:
    """An HCP merge step (people/extensions.py): attendances and follow-ups of `duplicate` move to `survivor`;
    an attendance the survivor already has at the same interaction is dropped. Each change is audited."""
    for attendance in InteractionAttendee.objects.filter(hcp=duplicate):
        if InteractionAttendee.objects.filter(
            interaction_id=attendance.interaction_id, hcp=survivor
        ).exists():
            attendance.delete()
        else:
            attendance.hcp = survivor
            attendance.save()
    FollowUp.objects.filter(hcp=duplicate).update(hcp=survivor)
