"""Web pages for insights: the list, one insight with its changelog, capture, edit and the review queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from liaison.compliance.flags import compliance_flags
from liaison.core.forms import add_action_errors, parse_uuids
from liaison.core.permissions import can, require
from liaison.core.queries import changelog_for, visible_related
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404, requested_page
from liaison.engagement.models import Interaction
from liaison.engagement.views import ae_summary
from liaison.people.views import hcp_autocomplete_url

from . import actions
from .aggregate_report import build_insight_report, report_csv
from .forms import InsightEditForm, InsightFilterForm, InsightForm, ReleaseForm, ReviewForm, priority_choices
from .models import Insight, InsightStatus

if TYPE_CHECKING:
    from liaison.accounts.models import User


def _safety_notice(user: User, insight: Insight) -> str:
    reports = list(visible_related(insight, "safety_reports", user))
    if not reports:
        return ""
    return " Drug safety has been notified: report " + ", ".join(str(r.uuid)[:8] for r in reports) + "."


@login_required
@require_GET
def insight_list(request: AuthenticatedRequest) -> HttpResponse:
    """Insights the user may see, newest first, filtered by area, priority, status, author and text."""
    user = request.user
    require(user, "insight", "view")
    visible = Insight.objects.restrict(user, "view")
    # Author choices come from the insights the user can see, so the list reveals no one else.
    authors = [
        (
            str(row["author__uuid"]),
            f"{row['author__first_name']} {row['author__last_name']}".strip() or row["author__username"],
        )
        for row in visible.order_by("author__last_name", "author__first_name")
        .values("author__uuid", "author__first_name", "author__last_name", "author__username")
        .distinct()
    ]
    form = InsightFilterForm(request.GET or None, user=user, authors=authors)
    insights = visible.select_related("author", "therapeutic_area", "listening_priority", "hcp", "product")
    if form.is_bound and form.is_valid():
        cd = form.cleaned_data
        if cd.get("therapeutic_area"):
            insights = insights.filter(therapeutic_area=cd["therapeutic_area"])
        if cd.get("listening_priority"):
            insights = insights.filter(listening_priority=cd["listening_priority"])
        if cd.get("status"):
            insights = insights.filter(status=cd["status"])
        if cd.get("author") == "me":
            insights = insights.filter(author=user)
        elif cd.get("author"):
            insights = insights.filter(author__uuid=cd["author"])
        for word in (cd.get("q") or "").split()[:6]:
            insights = insights.filter(text__icontains=word)
    return render(
        request,
        "insights/insight_list.html",
        {
            "form": form,
            "page": requested_page(request, insights),
            "can_add": can(user, "insight", "add"),
            "can_review": can(user, "insight", "review"),
            "filtered": bool(request.GET.dict().keys() - {"page"}),
        },
    )


def _detail_queryset() -> Any:
    return Insight.objects.select_related(
        "author",
        "therapeutic_area",
        "listening_priority",
        "hcp",
        "product",
        "reviewed_by",
        "released_by",
        "interaction",
    )


def _can_release(user: User, insight: Insight) -> bool:
    return (
        insight.status == InsightStatus.REVIEWED
        and insight.author_id != user.pk
        and Insight.objects.restrict(user, "release").filter(pk=insight.pk).exists()
    )


@login_required
@require_GET
def insight_detail(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """One insight: text, links, review, released summary and safety reports; the changelog on its own tab."""
    insight = get_restricted_or_404(Insight, request.user, uuid, queryset=_detail_queryset())
    return _render_detail(request, insight)


def _render_detail(
    request: AuthenticatedRequest, insight: Insight, release_form: ReleaseForm | None = None
) -> HttpResponse:
    user = request.user
    tab = "changelog" if request.GET.get("tab") == "changelog" else "details"
    context: dict[str, Any] = {
        "insight": insight,
        "tab": tab,
        "can_edit": (
            insight.author_id == user.pk
            and insight.status == InsightStatus.DRAFT
            and can(user, "insight", "change")
        ),
        "can_review": (
            insight.status == InsightStatus.SUBMITTED
            and insight.author_id != user.pk
            and Insight.objects.restrict(user, "review").filter(pk=insight.pk).exists()
        ),
        "interaction_visible": insight.interaction_id is not None
        and Interaction.objects.restrict(user, "view").filter(pk=insight.interaction_id).exists(),
        "can_view_safety": can(user, "safety_report", "view"),
        "can_release": _can_release(user, insight),
    }
    if context["can_release"]:
        context["release_form"] = release_form or ReleaseForm(
            initial={"released_summary": insight.released_summary}
        )
    if context["can_view_safety"]:
        context["safety_reports"] = visible_related(insight, "safety_reports", user)
    if tab == "changelog":
        context["events"] = changelog_for(insight, user)
    return render(request, "insights/insight_detail.html", context)


@login_required
@require_http_methods(["POST"])
def insight_release(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """Release (or, with `action=withdraw`, withdraw) a reviewer's rewritten summary for the commercial report.

    A refused summary re-renders the insight page with the message next to the field.
    """
    user = request.user
    insight = get_restricted_or_404(Insight, user, uuid, "release", queryset=_detail_queryset())
    if request.POST.get("action") == "withdraw":
        try:
            actions.withdraw_summary(insight, acting_user=user)
        except ValidationError as exc:
            messages.error(request, " ".join(m for ms in error_messages(exc).values() for m in ms))
        else:
            messages.success(request, "Summary withdrawn: the insight report no longer shows it.")
        return redirect("insights:insight_detail", uuid=insight.uuid)
    form = ReleaseForm(request.POST)
    if form.is_valid():
        try:
            actions.release_summary(insight, acting_user=user, summary=form.cleaned_data["released_summary"])
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(
                request,
                "Summary released: the insight report shows it while its group counts five HCPs or more.",
            )
            return redirect("insights:insight_detail", uuid=insight.uuid)
    return _render_detail(request, insight, release_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def insight_new(request: AuthenticatedRequest) -> HttpResponse:
    """Capture an insight on its own: area, optional HCP, listening priority, product and text."""
    user = request.user
    require(user, "insight", "add")
    if request.method == "POST":
        form = InsightForm(request.POST, user=user)
        submit = request.POST.get("action") == "submit"
        if form.is_valid():
            cd = form.cleaned_data
            try:
                insight = actions.create_insight(
                    acting_user=user,
                    text=cd["text"],
                    therapeutic_area=cd["therapeutic_area"],
                    hcp=cd.get("hcp"),
                    listening_priority=cd.get("listening_priority"),
                    product=cd.get("product"),
                    submit=submit,
                    flag_override_reason=form.override_reason(),
                )
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                notice = _safety_notice(user, insight) if submit else ""
                verb = "submitted for review" if submit else "saved as a draft"
                (messages.warning if notice else messages.success)(request, f"Insight {verb}.{notice}")
                return redirect("insights:insight_detail", uuid=insight.uuid)
    else:
        initial: dict[str, Any] = {}
        areas = list(user.therapeutic_areas.all()) if hasattr(user, "therapeutic_areas") else []
        team_area = getattr(getattr(user, "team", None), "therapeutic_area", None)
        if team_area is not None:
            initial["therapeutic_area"] = team_area
        elif len(areas) == 1:
            initial["therapeutic_area"] = areas[0]
        form = InsightForm(initial=initial, user=user)
    return render(
        request,
        "insights/insight_form.html",
        {
            "form": form,
            "attendees": form.selected_hcps(),
            "autocomplete_url": hcp_autocomplete_url(),
            "ae_text": ae_summary(form.data.get("text", "")) if form.is_bound else None,
            "flags_text": compliance_flags(form.data.get("text", "")) if form.is_bound else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def insight_edit(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """Edit (and optionally submit) one's own draft insight."""
    user = request.user
    insight = get_restricted_or_404(
        Insight, user, uuid, "change", queryset=Insight.objects.select_related("therapeutic_area")
    )
    if insight.author_id != user.pk or insight.status != InsightStatus.DRAFT:
        messages.info(request, "Only the author can edit an insight, and only while it is a draft.")
        return redirect("insights:insight_detail", uuid=insight.uuid)
    initial = {"text": insight.text, "listening_priority": insight.listening_priority}
    if request.method == "POST":
        form = InsightEditForm(request.POST, user=user, insight=insight, initial=initial)
        submit = request.POST.get("action") == "submit"
        if form.is_valid():
            try:
                actions.update_insight(
                    insight,
                    acting_user=user,
                    text=form.cleaned_data["text"],
                    listening_priority=form.cleaned_data.get("listening_priority"),
                    submit=submit,
                    flag_override_reason=form.override_reason(),
                )
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                notice = _safety_notice(user, insight) if submit else ""
                verb = "submitted for review" if submit else "saved"
                (messages.warning if notice else messages.success)(request, f"Insight {verb}.{notice}")
                return redirect("insights:insight_detail", uuid=insight.uuid)
    else:
        form = InsightEditForm(initial=initial, user=user, insight=insight)
    return render(
        request,
        "insights/insight_edit.html",
        {
            "form": form,
            "insight": insight,
            "ae_text": ae_summary(form.data.get("text", "")) if form.is_bound else None,
            "flags_text": compliance_flags(form.data.get("text", "")) if form.is_bound else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def insight_review(request: AuthenticatedRequest) -> HttpResponse:
    """The review queue: submitted insights of the reviewer's scope, oldest first, each with its review form.

    A POST names the insight (`insight=<uuid>`); htmx swaps just that card, a plain post reloads the queue.
    """
    user = request.user
    require(user, "insight", "review")
    queue = (
        Insight.objects.restrict(user, "review")
        .filter(status=InsightStatus.SUBMITTED)
        .exclude(author=user)
        .select_related("author", "therapeutic_area", "listening_priority", "hcp", "product")
        .order_by("submitted_at", "created_at")
    )
    bound: ReviewForm | None = None
    if request.method == "POST":
        chosen: list[UUID] | list[None] = parse_uuids([request.POST.get("insight") or ""]) or [None]
        insight = get_restricted_or_404(
            Insight,
            user,
            chosen[0],
            "review",
            queryset=Insight.objects.select_related("author", "therapeutic_area"),
        )
        bound = ReviewForm(request.POST, user=user, insight=insight)
        if bound.is_valid():
            try:
                actions.review_insight(
                    insight,
                    acting_user=user,
                    note=bound.cleaned_data.get("note") or "",
                    listening_priority=bound.cleaned_data.get("listening_priority"),
                )
            except ValidationError as exc:
                add_action_errors(bound, exc, {"status": "__all__"})
            else:
                if request.htmx:
                    return render(request, "insights/_review_done.html", {"insight": insight})
                messages.success(request, f"{insight} reviewed.")
                return redirect("insights:insight_review")
        if request.htmx:
            return render(request, "insights/_review_card.html", {"insight": insight, "form": bound})
    page = requested_page(request, queue, per_page=20)
    # The listening priorities of every area on this page in one query, not one per card.
    by_area: dict[int, list[Any]] = {}
    area_ids = {i.therapeutic_area_id for i in page.object_list}
    for priority in priority_choices(user).filter(therapeutic_area_id__in=area_ids):
        by_area.setdefault(priority.therapeutic_area_id, []).append(priority)
    cards = [
        (
            insight,
            bound
            if bound is not None and bound.insight.pk == insight.pk
            else ReviewForm(
                user=user,
                insight=insight,
                priorities=by_area.get(insight.therapeutic_area_id, []),
                initial={"listening_priority": insight.listening_priority},
            ),
        )
        for insight in page.object_list
    ]
    return render(request, "insights/insight_review.html", {"page": page, "cards": cards, "form": bound})


# ---------------------------------------------------------------------------------------------------------------
# The de-identified aggregate report (open to commercial: see insights/aggregate_report.py)
# ---------------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def insight_report(request: AuthenticatedRequest) -> HttpResponse:
    """Counts per area x listening priority x month, no group under five HCPs, examples de-identified.

    No filters on purpose: two reports over different slices could be subtracted to recover a hidden cell.
    """
    report = build_insight_report(request.user)
    return render(request, "insights/report.html", {"report": report, "show_examples": True})


@login_required
@require_GET
def insight_report_csv(request: AuthenticatedRequest) -> HttpResponse:
    """The report's counts as CSV (suppressed figures as "<5"); the example texts stay on the page."""
    report = build_insight_report(request.user, with_examples=False)
    response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="insight-report.csv"'
    return response
