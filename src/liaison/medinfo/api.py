"""REST endpoints for unsolicited medical inquiries; writes go through medinfo.actions only.

Commercial users may capture an inquiry (a one-way hand-off to medical information); they get back 202 with
only its uuid and `"status": "routed"`, and every later read of inquiries is closed to them (403).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ninja import Query, Router, Status

from liaison.accounts.models import Product, User
from liaison.core.api_common import (
    ApiRequest,
    apply_filters,
    limit_offset_page,
    page_of,
    resolve,
    responses,
    visible,
)
from liaison.core.models import RestrictQuerySet
from liaison.core.permissions import can, require
from liaison.core.roles import Role
from liaison.core.views import get_restricted_or_404
from liaison.engagement.models import Interaction
from liaison.people.models import HCP

from . import actions
from .models import MedicalInquiry
from .schemas import (
    InquiryAnswer,
    InquiryAssign,
    InquiryClose,
    InquiryCreate,
    InquiryFilters,
    InquiryRead,
    InquiryRouted,
    InquiryTriage,
)

inquiries_router = Router(tags=["inquiries"])


def _inquiries() -> RestrictQuerySet:
    return MedicalInquiry.objects.select_related(
        "captured_by", "requester_hcp", "product", "assigned_to", "interaction"
    )


@inquiries_router.get("", response=responses({200: page_of(InquiryRead)}), operation_id="inquiries_list")
def list_inquiries(request: ApiRequest, filters: Query[InquiryFilters]) -> Any:
    """Inquiries you may see, newest first; filter by `status`, `hcp`, `assigned_to`, `off_label`."""
    qs = apply_filters(
        visible(MedicalInquiry, request.user, queryset=_inquiries()),
        filters,
        {
            "status": "status",
            "hcp": "requester_hcp__uuid",
            "assigned_to": "assigned_to__uuid",
            "off_label": "off_label",
        },
    )
    return limit_offset_page(qs, filters)


@inquiries_router.post(
    "", response=responses({201: InquiryRead, 202: InquiryRouted}), operation_id="inquiries_create"
)
def create_inquiry(request: ApiRequest, payload: InquiryCreate) -> Any:
    """Capture an unsolicited request verbatim and route it to medical information. Users who may read
    inquiries get 201 with the inquiry; others (commercial) get 202 with only its uuid and status "routed"."""
    user = request.user
    require(user, "inquiry", "add")
    inquiry = actions.capture_inquiry(
        acting_user=user,
        question=payload.question,
        channel=payload.channel,
        unsolicited_attested=payload.unsolicited_attested,
        requester_hcp=resolve(HCP, user, payload.requester_hcp, "requester_hcp"),
        requester_name=payload.requester_name,
        requester_contact=payload.requester_contact,
        product=resolve(Product, user, payload.product, "product"),
        off_label=payload.off_label,
        received_at=payload.received_at,
        interaction=resolve(Interaction, user, payload.interaction, "interaction"),
    )
    visible_now = _inquiries().restrict(user, "view").filter(pk=inquiry.pk).first()
    if visible_now is None or not can(user, "inquiry", "view"):
        return Status(202, {"uuid": inquiry.uuid, "status": "routed"})
    return Status(201, visible_now)


@inquiries_router.get("/{uuid}", response=responses({200: InquiryRead}), operation_id="inquiries_read")
def read_inquiry(request: ApiRequest, uuid: UUID) -> Any:
    return get_restricted_or_404(MedicalInquiry, request.user, uuid, queryset=_inquiries())


@inquiries_router.post(
    "/{uuid}/assign", response=responses({200: InquiryRead}), operation_id="inquiries_assign"
)
def assign_inquiry(request: ApiRequest, uuid: UUID, payload: InquiryAssign) -> Any:
    """Assign an inquiry to a medical information user (yourself by default)."""
    user = request.user
    inquiry = get_restricted_or_404(MedicalInquiry, user, uuid, "change")
    # Medical information users may name each other without the right to browse users in general.
    colleagues = User.objects.filter(is_active=True, role=Role.MEDICAL_INFORMATION)
    assignee = (
        user
        if payload.assignee in (None, user.uuid)
        else resolve(User, user, payload.assignee, "assignee", queryset=colleagues)
    )
    actions.assign_inquiry(inquiry, acting_user=user, assignee=assignee)
    return _inquiries().get(pk=inquiry.pk)


@inquiries_router.post(
    "/{uuid}/triage", response=responses({200: InquiryRead}), operation_id="inquiries_triage"
)
def triage_inquiry(request: ApiRequest, uuid: UUID, payload: InquiryTriage) -> Any:
    """Accept or correct the proposed question type and drug in focus (medical information only)."""
    inquiry = get_restricted_or_404(MedicalInquiry, request.user, uuid, "change")
    actions.triage_inquiry(
        inquiry, acting_user=request.user, question_type=payload.question_type, drug=payload.drug
    )
    return _inquiries().get(pk=inquiry.pk)


@inquiries_router.post(
    "/{uuid}/answer", response=responses({200: InquiryRead}), operation_id="inquiries_answer"
)
def answer_inquiry(request: ApiRequest, uuid: UUID, payload: InquiryAnswer) -> Any:
    """Record the answer sent to the requester (medical information only)."""
    inquiry = get_restricted_or_404(MedicalInquiry, request.user, uuid, "answer")
    actions.answer_inquiry(inquiry, acting_user=request.user, answer=payload.answer)
    return _inquiries().get(pk=inquiry.pk)


@inquiries_router.post(
    "/{uuid}/close", response=responses({200: InquiryRead}), operation_id="inquiries_close"
)
def close_inquiry(request: ApiRequest, uuid: UUID, payload: InquiryClose) -> Any:
    """Close an inquiry, with a reason (medical information only)."""
    inquiry = get_restricted_or_404(MedicalInquiry, request.user, uuid, "change")
    actions.close_inquiry(inquiry, acting_user=request.user, reason=payload.reason)
    return _inquiries().get(pk=inquiry.pk)
