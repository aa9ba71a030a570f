"""REST endpoints for interactions, follow-ups and HCP feedback; writes go through engagement.actions only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from ninja import Query, Router, Status

from liaison.accounts.models import Product, TherapeuticArea, User
from liaison.core import hooks
from liaison.core.api_common import (
    ApiRequest,
    apply_filters,
    limit_offset_page,
    loaded_page,
    page_of,
    resolve,
    resolve_many,
    responses,
    visible,
)
from liaison.core.models import RestrictQuerySet
from liaison.core.permissions import require
from liaison.core.queries import related_restricted
from liaison.core.views import get_restricted_or_404
from liaison.people.models import HCP, ExternalPerson

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


def _interactions(user: User) -> RestrictQuerySet:
    """Interactions with everything InteractionRead shows, the linked records narrowed to what `user` may see."""
    return Interaction.objects.select_related("owner", "therapeutic_area").prefetch_related(
        Prefetch("attendance", queryset=InteractionAttendee.objects.select_related("hcp").order_by("pk")),
        Prefetch("external_attendees", queryset=ExternalPerson.objects.select_related("organization")),
        "products",
        Prefetch(
            "safety_reports",
            queryset=related_restricted(Interaction, "safety_reports", user),
            to_attr="visible_safety_reports",
        ),
        Prefetch(
            "insights", queryset=related_restricted(Interaction, "insights", user), to_attr="visible_insights"
        ),
        Prefetch(
            "follow_ups", queryset=FollowUp.objects.restrict(user, "view"), to_attr="visible_follow_ups"
        ),
    )


def _interaction_refs(user: User, payload: InteractionCreate | InteractionUpdate) -> dict[str, Any]:
    """The action's `data` (only fields sent, references resolved), without attendees/products/submit/reason."""
    data = payload.model_dump(
        exclude_unset=True,
        exclude={
            "attendees",
            "external_attendees",
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
def list_interactions(request: ApiRequest, filters: Query[InteractionFilters]) -> Any:
    """Interactions you may see, newest first; filter by `hcp` (attendee), `since`/`until` (occurred_at),
    `channel`, `status`, `owner`, `therapeutic_area`."""
    qs = apply_filters(
        visible(Interaction, request.user),
        filters,
        {
            "hcp": "attendance__hcp__uuid",
            "since": "occurred_at__gte",
            "until": "occurred_at__lte",
            "channel": "channel",
            "status": "status",
            "owner": "owner__uuid",
            "therapeutic_area": "therapeutic_area__uuid",
        },
    )
    return loaded_page(qs.distinct(), filters, _interactions(request.user))


@interactions_router.post("", response=responses({201: InteractionRead}), operation_id="interactions_create")
def create_interaction(request: ApiRequest, payload: InteractionCreate) -> Any:
    """Log an interaction with its attendees, inline insights and follow-ups. Submitting needs the AE
    attestation; a "yes", or AE terms in the text, raise a safety report, listed in `safety_reports`."""
    user = request.user
    require(user, "interaction", "add")
    attendees = resolve_many(HCP, user, payload.attendees, "attendees")
    external = resolve_many(ExternalPerson, user, payload.external_attendees, "external_attendees")
    products = resolve_many(Product, user, payload.products, "products")
    data = _interaction_refs(user, payload)
    data.setdefault("ae_attestation", "")
    priorities = hooks.listening_priorities(user)
    insights = [
        {
            "text": item.text,
            "therapeutic_area": resolve(
                TherapeuticArea, user, item.therapeutic_area, "insights.therapeutic_area"
            ),
            "listening_priority": resolve(
                priorities.model,
                user,
                item.listening_priority,
                "insights.listening_priority",
                queryset=priorities,
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
        external_attendees=external or [],
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
def read_interaction(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(Interaction, request.user, uuid, queryset=_interactions(request.user))


@interactions_router.patch(
    "/{uuid}", response=responses({200: InteractionRead}), operation_id="interactions_update"
)
def update_interaction(request: ApiRequest, uuid: UUID, payload: InteractionUpdate) -> Any:
    """Edit an interaction (only the fields sent). A submitted one needs a `reason` and keeps its time;
    new AE text raises a safety report."""
    user = request.user
    interaction = get_restricted_or_404(Interaction, user, uuid, "change")
    attendees = resolve_many(HCP, user, payload.attendees, "attendees")
    external = resolve_many(ExternalPerson, user, payload.external_attendees, "external_attendees")
    products = resolve_many(Product, user, payload.products, "products")
    data = _interaction_refs(user, payload)
    actions.update_interaction(
        interaction,
        acting_user=user,
        data=data,
        attendees=attendees,
        external_attendees=external,
        products=products,
        submit=payload.submit,
        reason=payload.reason,
        flag_override_reason=payload.flag_override_reason,
    )
    return _interactions(user).get(pk=interaction.pk)


def _feedback(user: User, interaction: Interaction) -> QuerySet:
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
def list_feedback(request: ApiRequest, uuid: UUID) -> Any:
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
def record_feedback(request: ApiRequest, uuid: UUID, payload: HcpFeedbackCreate) -> Any:
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


def _follow_ups() -> RestrictQuerySet:
    return FollowUp.objects.select_related("owner", "hcp", "interaction")


@follow_ups_router.get("", response=responses({200: page_of(FollowUpRead)}), operation_id="follow_ups_list")
def list_follow_ups(request: ApiRequest, filters: Query[FollowUpFilters]) -> Any:
    """Follow-ups you may see, soonest due first; filter by `status`, `hcp`, `interaction`, `due_before`,
    `owner`."""
    qs = apply_filters(
        visible(FollowUp, request.user, queryset=_follow_ups()),
        filters,
        {
            "status": "status",
            "hcp": "hcp__uuid",
            "interaction": "interaction__uuid",
            "due_before": "due_date__lte",
            "owner": "owner__uuid",
        },
    )
    return limit_offset_page(qs, filters)


@follow_ups_router.post("", response=responses({201: FollowUpRead}), operation_id="follow_ups_create")
def create_follow_up(request: ApiRequest, payload: FollowUpCreate) -> Any:
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
def read_follow_up(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(FollowUp, request.user, uuid, queryset=_follow_ups())


@follow_ups_router.patch("/{uuid}", response=responses({200: FollowUpRead}), operation_id="follow_ups_update")
def update_follow_up(request: ApiRequest, uuid: UUID, payload: FollowUpUpdate) -> Any:
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
