"""Stakeholder pages: the map, one stakeholder with feedback and the digests sent, digest preview, PDF, send.

Reads go through restrict(); writes (feedback, sending) through actions.py. Commercial users hold no
stakeholder permission, so these pages answer them 403.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from liaison.core.permissions import can, require
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404

from . import actions, digests
from .models import DigestDelivery, Stakeholder


@login_required
@require_GET
def stakeholder_list(request: AuthenticatedRequest) -> HttpResponse:
    """The stakeholder map and the digests the viewer may see."""
    require(request.user, "stakeholder", "view")
    stakeholders = Stakeholder.objects.restrict(request.user, "view").select_related("owner")
    deliveries = DigestDelivery.objects.restrict(request.user, "view").select_related(
        "stakeholder", "sent_by"
    )
    return render(
        request,
        "stakeholders/stakeholder_list.html",
        {"stakeholders": stakeholders, "deliveries": deliveries[:50]},
    )


def _stakeholder(request: HttpRequest, uuid: Any) -> Stakeholder:
    return get_restricted_or_404(
        Stakeholder, request.user, uuid, queryset=Stakeholder.objects.select_related("owner")
    )


@login_required
@require_GET
def stakeholder_detail(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """One stakeholder: preferences, expectations, feedback, and the digests sent to them."""
    s = _stakeholder(request, uuid)
    deliveries = DigestDelivery.objects.restrict(request.user, "view").filter(stakeholder=s)
    context = {
        "s": s,
        "feedback": s.feedback.restrict(request.user, "view"),
        "deliveries": deliveries.select_related("stakeholder", "sent_by")[:50],
        "can_send": can(request.user, "digest", "send") and s.active,
        "can_feedback": can(request.user, "stakeholder", "feedback"),
    }
    return render(request, "stakeholders/stakeholder_detail.html", context)


@login_required
@require_GET
def digest_preview(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """The digest this stakeholder would receive now, as the e-mail will show it (in a sandboxed frame)."""
    s = _stakeholder(request, uuid)
    require(request.user, "digest", "send")
    return render(request, "stakeholders/digest_preview.html", {"s": s})


# An e-mail body needs inline styles (mail clients ignore style sheets); it runs no script and may be framed only
# by the preview page, whose own policy stays strict.
EMAIL_BODY_CSP = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["'self'"],
    "script-src": ["'none'"],
    "frame-ancestors": ["'self'"],
}


@login_required
@require_GET
@xframe_options_sameorigin
@csp_replace(EMAIL_BODY_CSP)  # type: ignore[arg-type]  # django-csp types views as taking the request only
def digest_preview_body(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """The HTML e-mail body of the digest preview, exactly as it is sent, for the preview page's frame."""
    s = _stakeholder(request, uuid)
    require(request.user, "digest", "send")
    return HttpResponse(digests.render_html(digests.build_digest(s)))


@login_required
@require_GET
def digest_pdf(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """The digest this stakeholder would receive now, as a PDF download."""
    s = _stakeholder(request, uuid)
    require(request.user, "digest", "send")
    digest = digests.build_digest(s)
    response = HttpResponse(digests.render_pdf(digest), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="digest-{digest.period_end:%Y-%m-%d}.pdf"'
    return response


@login_required
@require_POST
def digest_send(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """Send this stakeholder's digest now; the outcome shows in the delivery log."""
    s = _stakeholder(request, uuid)
    try:
        delivery = actions.send_digest(s, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(sum(error_messages(exc).values(), [])))
    else:
        messages.info(request, f"Digest {delivery.get_status_display().lower()} to {delivery.recipient}.")
    return redirect("stakeholders:stakeholder_detail", uuid=s.uuid)


@login_required
@require_POST
def feedback_new(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """Record a stakeholder's verdict on what they received."""
    s = _stakeholder(request, uuid)
    try:
        actions.record_feedback(
            s,
            acting_user=request.user,
            verdict=request.POST.get("verdict", ""),
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(sum(error_messages(exc).values(), [])))
        return redirect("stakeholders:stakeholder_detail", uuid=s.uuid)
    messages.info(request, "Feedback recorded.")
    return redirect("stakeholders:stakeholder_detail", uuid=s.uuid)
