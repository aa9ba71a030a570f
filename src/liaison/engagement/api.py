"""REST endpoints for interactions, follow-ups and HCP feedback; writes go through engagement.actions only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from liaison.accounts.models import Product, TherapeuticArea
from liaison.core.api_common import page_of, paginate, resolve, resolve_many, responses, visible
from liaison.core.permissions import require
from liaison.core.views import get_restricted_or_404
from liaison.insights.models import Insight, ListeningPriority
from liaison.people.models import HCP
from liaison.safety.models import SafetyReport

from . import actions
from .models import FollowUp, HcpFeedback, Interaction, InteractionAttendee
from .schemas import (
    FollowUpCreate,
    FollowUpFilters,
    FollowUpRead,
    FollowUpUpdate,
    HcpFeedbackCreate,
    HcpFeedbackRead,
    InteractionCreate,
    InteractionFilters,
    InteractionRead,
    InteractionUpdate,
)

interactions_router = Router(tags=["interactions"])
follow_ups_router = Router(tags=["follow-ups"])


def _interactions(user: Any) -> QuerySet:
    """Interactions with everything InteractionRead shows, the linked records narrowed to what `user` may see."""
    return Interaction.objects.select_related("owner", "therapeutic_area").prefetch_related(
        Prefetch("attendance", queryset=InteractionAttendee.objects.select_related("hcp").order_by("pk")),
        "products",
        Prefetch(
            "safety_reports",
            queryset=SafetyReport.objects.restrict(user, "view"),
            to_attr="visible_safety_reports",
        ),
        Prefetch("insights", queryset=Insight.objects.restrict(user, "view"), to_attr="visible_insights"),
        Prefetch(
            "follow_ups", queryset=FollowUp.objects.restrict(user, "view"), to_attr="visible_follow_ups"
        ),
    )


def _interaction_refs(user: Any, payload: InteractionCreate | InteractionUpdate) -> dict[str, Any]:
    """The action's `data` (only fields sent, references resolved), without attendees/products/submit/reason."""
    data = payload.model_dump(
        exclude_unset=True,
        exclude={
            "attendees",
            "products",
            "submit",
            "reason",
            "insights",
            "follow_ups",
            "flag_override_reason",
        },
    )
    # null leaves a field unchanged, except the therapeutic area, which null clears.
    data = {k: v for k, v in data.items() if v is not None or k == "therapeutic_area"}
    if "therapeutic_area" in data:
        data["therapeutic_area"] = resolve(
            TherapeuticArea, user, data["therapeutic_area"], "therapeutic_area"
        )
    return data


@interactions_router.get(
    "", response=responses({200: page_of(InteractionRead)}), operation_id="interactions_list"
)
def list_interactions(request: HttpRequest, filters: Query[InteractionFilters]) -> Any:
    """Interactions you may see, newest first; filter by `hcp` (attendee), `since`/`until` (occurred_at),
    `channel`, `status`, `owner`, `therapeutic_area`."""
    qs = visible(Interaction, request.user)
    if filters.hcp:
        qs = qs.filter(attendance__hcp__uuid=filters.hcp)
    if filters.since:
        qs = qs.filter(occurred_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(occurred_at__lte=filters.until)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.owner:
        qs = qs.filter(owner__uuid=filters.owner)
    if filters.therapeutic_area:
        qs = qs.filter(therapeutic_area__uuid=filters.therapeutic_area)
    page = paginate(qs.distinct().values_list("pk", flat=True), filters)
    rows = {row.pk: row for row in _interactions(request.user).filter(pk__in=page["items"])}
    page["items"] = [rows[pk] for pk in page["items"]]
    return page


@interactions_router.post("", response=responses({201: InteractionRead}), operation_id="interactions_create")
def create_interaction(request: HttpRequest, payload: InteractionCreate) -> Any:
    """Log an interaction with its attendees, inline insights and follow-ups. Submitting needs the AE
    attestation; a "yes", or AE terms in the text, raise a safety report, listed in `safety_reports`."""
    user = request.user
    require(user, "interaction", "add")
    attendees = resolve_many(HCP, user, payload.attendees, "attendees")
    products = resolve_many(Product, user, payload.products, "products")
    data = _interaction_refs(user, payload)
    data.setdefault("ae_attestation", "")
    insights = [
        {
            "text": item.text,
            "therapeutic_area": resolve(
                TherapeuticArea, user, item.therapeutic_area, "insights.therapeutic_area"
            ),
            "listening_priority": resolve(
                ListeningPriority, user, item.listening_priority, "insights.listening_priority"
            ),
            "product": resolve(Product, user, item.product, "insights.product"),
            "hcp": resolve(HCP, user, item.hcp, "insights.hcp"),
        }
        for item in payload.insights
    ]
    follow_ups = [
        {
            "description": item.description,
            "due_date": item.due_date,
            "hcp": resolve(HCP, user, item.hcp, "follow_ups.hcp"),
        }
        for item in payload.follow_ups
    ]
    interaction = actions.log_interaction(
        acting_user=user,
        attendees=attendees or [],
        data=data,
        products=products or [],
        insights=insights,
        follow_ups=follow_ups,
        submit=payload.submit,
        flag_override_reason=payload.flag_override_reason,
    )
    return Status(201, _interactions(user).get(pk=interaction.pk))


@interactions_router.get(
    "/{uuid}", response=responses({200: InteractionRead}), operation_id="interactions_read"
)
def read_interaction(request: HttpRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(Interaction, request.user, uuid, queryset=_interactions(request.user))


@interactions_router.patch(
    "/{uuid}", response=responses({200: InteractionRead}), operation_id="interactions_update"
)
def update_interaction(request: HttpRequest, uuid: UUID, payload: InteractionUpdate) -> Any:
    """Edit an interaction (only the fields sent). A submitted one needs a `reason` and keeps its time;
    new AE text raises a safety report."""
    user = request.user
    interaction = get_restricted_or_404(Interaction, user, uuid, "change")
    attendees = resolve_many(HCP, user, payload.attendees, "attendees")
    products = resolve_many(Product, user, payload.products, "products")
    data = _interaction_refs(user, payload)
    actions.update_interaction(
        interaction,
        acting_user=user,
        data=data,
        attendees=attendees,
        products=products,
        submit=payload.submit,
        reason=payload.reason,
        flag_override_reason=payload.flag_override_reason,
    )
    return _interactions(user).get(pk=interaction.pk)


def _feedback(user: Any, interaction: Interaction) -> QuerySet:
    return (
        HcpFeedback.objects.restrict(user, "view")
        .filter(interaction=interaction)
        .select_related("interaction", "hcp", "recorded_by")
        .order_by("hcp__last_name", "hcp__first_name", "pk")
    )


@interactions_router.get(
    "/{uuid}/feedback",
    response=responses({200: list[HcpFeedbackRead]}),
    operation_id="interactions_feedback_list",
)
def list_feedback(request: HttpRequest, uuid: UUID) -> Any:
    """What the attendees said the interaction was worth (1-5), one record per HCP."""
    user = request.user
    require(user, "hcp_feedback", "view")
    interaction = get_restricted_or_404(Interaction, user, uuid)
    return list(_feedback(user, interaction))


@interactions_router.post(
    "/{uuid}/feedback",
    response=responses({200: HcpFeedbackRead, 201: HcpFeedbackRead}),
    operation_id="interactions_feedback_record",
)
def record_feedback(request: HttpRequest, uuid: UUID, payload: HcpFeedbackCreate) -> Any:
    """Record an attendee's feedback on a submitted interaction: 201 when new, 200 when it updated the HCP's
    earlier feedback (the audit trail keeps the old values)."""
    user = request.user
    require(user, "hcp_feedback", "add")
    interaction = get_restricted_or_404(Interaction, user, uuid)
    hcp = resolve(HCP, user, payload.hcp, "hcp")
    existed = _feedback(user, interaction).filter(hcp=hcp).exists()
    feedback = actions.record_hcp_feedback(
        interaction,
        acting_user=user,
        hcp=hcp,
        value=payload.value,
        source=payload.source,
        received_on=payload.received_on,
        comment=payload.comment,
    )
    return Status(200 if existed else 201, _feedback(user, interaction).get(pk=feedback.pk))


def _follow_ups() -> QuerySet:
    return FollowUp.objects.select_related("owner", "hcp", "interaction")


@follow_ups_router.get("", response=responses({200: page_of(FollowUpRead)}), operation_id="follow_ups_list")
def list_follow_ups(request: HttpRequest, filters: Query[FollowUpFilters]) -> Any:
    """Follow-ups you may see, soonest due first; filter by `status`, `hcp`, `interaction`, `due_before`,
    `owner`."""
    qs = visible(FollowUp, request.user).select_related("owner", "hcp", "interaction")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.hcp:
        qs = qs.filter(hcp__uuid=filters.hcp)
    if filters.interaction:
        qs = qs.filter(interaction__uuid=filters.interaction)
    if filters.due_before:
        qs = qs.filter(due_date__lte=filters.due_before)
    if filters.owner:
        qs = qs.filter(owner__uuid=filters.owner)
    return paginate(qs, filters)


@follow_ups_router.post("", response=responses({201: FollowUpRead}), operation_id="follow_ups_create")
def create_follow_up(request: HttpRequest, payload: FollowUpCreate) -> Any:
    """Promise something to an HCP by a date; you own it."""
    user = request.user
    require(user, "follow_up", "add")
    follow_up = actions.create_follow_up(
        acting_user=user,
        description=payload.description,
        due_date=payload.due_date,
        hcp=resolve(HCP, user, payload.hcp, "hcp"),
        interaction=resolve(Interaction, user, payload.interaction, "interaction"),
    )
    return Status(201, _follow_ups().get(pk=follow_up.pk))


@follow_ups_router.get("/{uuid}", response=responses({200: FollowUpRead}), operation_id="follow_ups_read")
def read_follow_up(request: HttpRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(FollowUp, request.user, uuid, queryset=_follow_ups())


@follow_ups_router.patch("/{uuid}", response=responses({200: FollowUpRead}), operation_id="follow_ups_update")
def update_follow_up(request: HttpRequest, uuid: UUID, payload: FollowUpUpdate) -> Any:
    """Complete, cancel, reschedule or reword a follow-up."""
    follow_up = get_restricted_or_404(FollowUp, request.user, uuid, "change")
    actions.update_follow_up(
        follow_up,
        acting_user=request.user,
        status=payload.status,
        due_date=payload.due_date,
        description=payload.description,
    )
    return _follow_ups().get(pk=follow_up.pk)
