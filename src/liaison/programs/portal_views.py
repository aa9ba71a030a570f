"""The participant portal's pages (mounted at /portal/): the e-mailed link, the second factor, the confidentiality
and consent step, and the board. Only advisors reach these pages past the link ("advisory_portal" view); each sees
only the boards they were invited to (portal.accesses_of), and another board is a 404. The rules are in
programs/portal.py and docs/programs.md."""

from __future__ import annotations

import contextlib
import uuid as uuid_module

from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison.core.permissions import require
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest

from . import actions, portal
from .models import BoardPost, PortalAccess

VERIFIED_KEY = "liaison_portal_verified"


def _refused(request: HttpRequest, exc: portal.LinkRefused) -> HttpResponse:
    return render(request, "programs/portal/refused.html", {"reason": exc.reason}, status=exc.status)


@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (a mail scanner's prefetch spends nothing); POST spends the link and signs the advisor
    in, then sends them to the second factor or the terms. Unknown links 404, used or expired ones 410."""
    try:
        if request.method == "GET":
            portal.usable_access(token, timezone.now())
            return render(request, "programs/portal/enter.html")
        access = actions.board.use_portal_link(token)
    except portal.LinkRefused as exc:
        return _refused(request, exc)
    login(request, access.user, backend="django.contrib.auth.backends.ModelBackend")
    if access.second_factor:
        portal.send_code(access, actions.board.issue_portal_code(access))
        return redirect("portal:code", uuid=access.uuid)
    request.session[VERIFIED_KEY] = [str(access.uuid)]
    return redirect("portal:board", uuid=access.participant.event.uuid)


def _own_access(request: AuthenticatedRequest, uuid: object) -> PortalAccess:
    require(request.user, "advisory_portal", "view")
    return get_object_or_404(portal.accesses_of(request.user), uuid=uuid)


@require_http_methods(["GET", "POST"])
def code(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The e-mailed six-digit code; "resend" mails a new one."""
    access = _own_access(request, uuid)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if "resend" in request.POST:
            portal.send_code(access, actions.board.issue_portal_code(access))
        else:
            try:
                code = request.POST.get("code", "")
                refusal = actions.board.check_portal_code(access, acting_user=request.user, code=code)
            except ValidationError as exc:
                refusal = "; ".join(sum(error_messages(exc).values(), []))
            if refusal:
                errors = {"code": [refusal]}
            else:
                request.session[VERIFIED_KEY] = [*request.session.get(VERIFIED_KEY, []), str(access.uuid)]
                return redirect("portal:board", uuid=access.participant.event.uuid)
    return render(
        request,
        "programs/portal/code.html",
        {"access": access, "errors": errors},
        status=422 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
def terms(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The confidentiality and consent terms, to accept before anything of the board is shown."""
    access = _own_access(request, uuid)
    if access.second_factor and str(access.uuid) not in request.session.get(VERIFIED_KEY, []):
        return redirect("portal:code", uuid=access.uuid)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            if request.POST.get("accept") != "yes":
                raise ValidationError({"accept": "tick the box to accept the terms"})
            version = request.POST.get("version", "")
            actions.board.accept_portal_terms(access, acting_user=request.user, version=version)
        except ValidationError as exc:
            errors = error_messages(exc)
        else:
            return redirect("portal:board", uuid=access.participant.event.uuid)
    context = {
        "access": access,
        "text": portal.CONFIDENTIALITY_TEXT,
        "version": portal.CONFIDENTIALITY_VERSION,
        "errors": errors,
    }
    return render(request, "programs/portal/terms.html", context, status=422 if errors else 200)


@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The advisor's boards."""
    require(request.user, "advisory_portal", "view")
    accesses = list(portal.accesses_of(request.user))
    return render(request, "programs/portal/home.html", {"accesses": accesses})


def _board_access(request: AuthenticatedRequest, uuid: str) -> PortalAccess | HttpResponse:
    """The advisor's access to this board, or where they must go first (code, terms); 404 for another board."""
    require(request.user, "advisory_portal", "view")
    access = portal.accesses_of(request.user).filter(participant__event__uuid=uuid).first()
    if access is None:
        raise Http404("no such board")
    if access.second_factor and str(access.uuid) not in request.session.get(VERIFIED_KEY, []):
        return redirect("portal:code", uuid=access.uuid)
    if access.consent_accepted_at is None:
        return redirect("portal:terms", uuid=access.uuid)
    return access


@require_GET
def board(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """The questions opened so far, each with its thread and a reply form, and the advisor's own progress."""
    access = _board_access(request, uuid)
    if isinstance(access, HttpResponse):
        return access
    return _render_board(request, access, {})


def _render_board(
    request: AuthenticatedRequest, access: PortalAccess, errors: dict[str, list[str]], status: int = 200
) -> HttpResponse:
    now = timezone.now()
    actions.board.note_portal_visit(access, acting_user=request.user, now=now)
    event = access.participant.event
    questions = portal.visible_questions(event, now)
    posts = BoardPost.objects.filter(question__in=questions).select_related(
        "participant__hcp", "participant__external_person", "staff_author"
    )
    threads = []
    for q in questions:
        thread = [p for p in posts if p.question_id == q.pk]
        threads.append((q, q.is_open(now), thread, thread[-1].uuid if thread else ""))
    context = {
        "access": access,
        "event": event,
        "threads": threads,
        "progress": portal.progress_of(access, questions),
        "errors": errors,
    }
    return render(request, "programs/portal/board.html", context, status=status)


@require_POST
def reply(request: AuthenticatedRequest, uuid: str, question: str) -> HttpResponse:
    """Post an answer, or a reply to a post of the thread (`parent`)."""
    access = _board_access(request, uuid)
    if isinstance(access, HttpResponse):
        return access
    q = get_object_or_404(access.participant.event.board_questions, uuid=question)
    parent = None
    with contextlib.suppress(ValueError):
        parent = BoardPost.objects.filter(
            question=q, uuid=uuid_module.UUID(request.POST.get("parent", ""))
        ).first()
    try:
        actions.board.post_to_board(
            q, acting_user=request.user, text=request.POST.get("text", ""), parent=parent
        )
    except ValidationError as exc:
        return _render_board(request, access, {str(q.uuid): sum(error_messages(exc).values(), [])}, 422)
    return redirect(f"/portal/boards/{uuid}/#q-{q.uuid}")


@require_POST
def heartbeat(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """Sent every 60 s by the open board page: counts the time spent."""
    access = _board_access(request, uuid)
    if isinstance(access, HttpResponse):
        return HttpResponse(status=204)
    actions.board.note_portal_visit(access, acting_user=request.user)
    return HttpResponse(status=204)
