"""Web pages for logging and reviewing interactions and follow-ups, and the live adverse-event check.

Every read goes through `restrict()` or `get_restricted_or_404`; every write through engagement.actions. A
ValidationError from an action is shown next to the field it concerns and nothing is saved (the actions run
in one transaction).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison.accounts.forms import area_choices
from liaison.compliance.flags import compliance_flags
from liaison.core import hooks
from liaison.core.forms import add_action_errors, now_local, parse_uuids
from liaison.core.permissions import PermissionDenied, can, require
from liaison.core.queries import changelog_for, visible_related
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404, requested_page
from liaison.people.forms import visible_hcps
from liaison.people.models import HCPStatus
from liaison.people.views import external_autocomplete_url, hcp_autocomplete_url
from liaison_text.ae_lexicon import Detection

from . import actions
from .forms import (
    CHOOSE_ATTENDEE,
    MEETING_AS_A_WHOLE,
    AECheckForm,
    FlagCheckForm,
    FollowUpFilterForm,
    FollowUpRowForm,
    FollowUpStatusForm,
    HcpFeedbackForm,
    InsightRowForm,
    InteractionEditForm,
    InteractionFilterForm,
    InteractionForm,
    attendee_choices,
    attribute_rows,
    row_forms,
)
from .models import FollowUp, FollowUpStatus, HcpFeedback, Interaction, InteractionStatus

if TYPE_CHECKING:
    from liaison.accounts.models import User

INSIGHT_ROW = ["insight_text", "insight_priority", "insight_hcp", "insight_product"]
FOLLOW_UP_ROW = ["followup_description", "followup_due", "followup_hcp"]

CATEGORY_LABELS = {
    "pregnancy_lactation": "Pregnancy or breastfeeding exposure",
    "overdose": "Overdose",
    "abuse": "Abuse",
    "misuse": "Misuse",
    "medication_error": "Medication error",
    "off_label_use": "Off-label use",
    "lack_of_efficacy": "Lack of efficacy",
    "occupational_exposure": "Occupational exposure",
    "quality_complaint": "Suspected counterfeit or quality complaint",
    "drug_interaction": "Drug interaction",
}


# ---------------------------------------------------------------------------------------------------------------
# Helpers; the live AE check's `ae_summary` and `category_label` are shared with the insights, medinfo and
# safety pages
# ---------------------------------------------------------------------------------------------------------------


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` URL of the request if it points at this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize())


def ae_summary(text: str) -> dict[str, Any] | None:
    """What the AE checker found in `text`, ready for `engagement/_ae_check.html`; None when nothing.

    A detector failure is reported (never silently treated as "no AE"): drug safety reviews the text then.
    """
    if not (text or "").strip():
        return None
    detection: Detection | None = hooks.run_detector(text)
    if detection is None:
        return {"failed": True}
    if not detection.flagged:
        return None
    return {
        "failed": False,
        "terms": detection.terms,
        "events": sorted({s.text.lower() for s in detection.spans if s.kind == "event"}),
        "categories": [category_label(c) for c in detection.categories],
        "hedged_only": all(s.hedged for s in detection.spans),
    }


def apply_flag_errors(exc: ValidationError, rows: list[Any]) -> ValidationError:
    """Put the action's flags on inline insight rows ("insights.N.text" is the N-th row with text) and return
    what is left for the main form, so each flag shows next to the box it is about."""
    if not hasattr(exc, "error_dict"):
        return exc
    filled = [r for r in rows if (r.cleaned_data.get("insight_text") or "").strip()]
    rest: dict[str, Any] = {}
    for name, errors in exc.error_dict.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "insights" and parts[1].isdigit() and int(parts[1]) < len(filled):
            for error in errors:
                for message in error.messages:
                    filled[int(parts[1])].add_error("insight_text", message)
        else:
            rest[name] = errors
    return ValidationError(rest) if rest else ValidationError({})


def _deny_unless_any(user: User, *pairs: tuple[str, str]) -> None:
    if not any(can(user, resource, action) for resource, action in pairs):
        resource, action = pairs[0]
        raise PermissionDenied(user, resource, action)


# ---------------------------------------------------------------------------------------------------------------
# Log an interaction
# ---------------------------------------------------------------------------------------------------------------


def _row_payloads(
    insight_rows: list[InsightRowForm], follow_up_rows: list[FollowUpRowForm], attendees: list[Any]
) -> tuple[list, list]:
    by_uuid = {str(h.uuid): h for h in attendees}
    insights = [
        {
            "text": r.cleaned_data["insight_text"],
            "listening_priority": r.cleaned_data.get("insight_priority"),
            "hcp": by_uuid.get(r.cleaned_data.get("insight_hcp") or ""),
            "product": r.cleaned_data.get("insight_product"),
        }
        for r in insight_rows
        if (r.cleaned_data.get("insight_text") or "").strip()
    ]
    follow_ups = [
        {
            "description": r.cleaned_data["followup_description"],
            "due_date": r.cleaned_data.get("followup_due"),
            "hcp": by_uuid.get(r.cleaned_data.get("followup_hcp") or ""),
        }
        for r in follow_up_rows
        if (r.cleaned_data.get("followup_description") or "").strip()
    ]
    return insights, follow_ups


def _check_attribution(
    form: InteractionForm, insight_rows: list[InsightRowForm], follow_up_rows: list[FollowUpRowForm]
) -> list[Any]:
    """Offer the chosen HCP attendees on the rows and say on the row itself when a choice is not an attendee,
    or when a follow-up does not say whom it is for although several HCPs attended. Returns the attendees."""
    attendees = list(form.cleaned_data.get("attendees") or []) if hasattr(form, "cleaned_data") else []
    attribute_rows(insight_rows, "insight_hcp", attendees, MEETING_AS_A_WHOLE)
    attribute_rows(follow_up_rows, "followup_hcp", attendees, CHOOSE_ATTENDEE)
    if len(attendees) > 1:
        for row in follow_up_rows:
            cd = getattr(row, "cleaned_data", {})
            if (cd.get("followup_description") or "").strip() and not cd.get("followup_hcp"):
                row.add_error("followup_hcp", "Several HCPs attended: choose whom this follow-up is for.")
    return attendees


def _check_priorities(form: InteractionForm, insight_rows: list[InsightRowForm]) -> bool:
    """Say on the row itself when a listening priority belongs to another area than the interaction's."""
    area = form.cleaned_data.get("therapeutic_area")
    ok = True
    for row in insight_rows:
        priority = row.cleaned_data.get("insight_priority")
        if priority is None or not (row.cleaned_data.get("insight_text") or "").strip():
            continue
        if area is None:
            if ok:
                form.add_error("therapeutic_area", "Choose the therapeutic area of the insights.")
            ok = False
        elif priority.therapeutic_area_id != area.pk:
            row.add_error(
                "insight_priority",
                f"This priority belongs to {priority.therapeutic_area.name}, not {area.name}.",
            )
            ok = False
    return ok


def _check_before_submit(form: InteractionForm, insight_rows: list[InsightRowForm], *, submit: bool) -> None:
    """Flag the rules the actions enforce at the same time as the field errors, so that one submit lists
    everything still missing instead of revealing it one round trip at a time. The actions still check them."""
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    if submit and not data.get("ae_attestation") and "ae_attestation" not in form.errors:
        form.add_error(
            "ae_attestation",
            "Answer whether the HCP mentioned an adverse event or special situation before submitting.",
        )
    has_insight = any((r.data.get(r.add_prefix("insight_text")) or "").strip() for r in insight_rows)
    if has_insight and not data.get("therapeutic_area") and "therapeutic_area" not in form.errors:
        form.add_error("therapeutic_area", "Choose the therapeutic area of the insights.")


def default_area(user: User, hcps: list[Any]) -> Any:
    """The therapeutic area to preselect: the attendee's only area, else the area of the user's team.

    Insights need an area, and an MSL nearly always logs within their own team's area; preselecting it saves a
    step without hiding anything (the choice is on screen and can be changed).
    """
    allowed = area_choices(user)
    if hcps:
        areas = list(hcps[0].therapeutic_areas.all())
        if len(areas) == 1 and allowed.filter(pk=areas[0].pk).exists():
            return areas[0]
    team = getattr(user, "team", None)
    if team is not None and team.therapeutic_area_id and allowed.filter(pk=team.therapeutic_area_id).exists():
        return team.therapeutic_area
    return None


def _safety_message(user: User, interaction: Interaction) -> str:
    reports = list(visible_related(interaction, "safety_reports", user))
    if not reports:
        return ""
    refs = ", ".join(str(r.uuid)[:8] for r in reports)
    day_zero = timezone.localtime(reports[0].day_zero).strftime("%Y-%m-%d %H:%M")
    return f" Drug safety has been notified: report {refs} (Day 0 {day_zero})."


@login_required
@require_http_methods(["GET", "POST"])
def interaction_new(request: AuthenticatedRequest) -> HttpResponse:
    """The one-page interaction log: attendees, details, AE attestation, inline insights and follow-ups."""
    user = request.user
    require(user, "interaction", "add")
    if request.method == "POST":
        form = InteractionForm(request.POST, user=user)
        insight_rows = row_forms(InsightRowForm, request.POST, INSIGHT_ROW, user=user)
        follow_up_rows = row_forms(FollowUpRowForm, request.POST, FOLLOW_UP_ROW)
        submit = request.POST.get("action") != "draft"
        valid = all(
            [form.is_valid(), *[r.is_valid() for r in insight_rows], *[r.is_valid() for r in follow_up_rows]]
        )
        _check_before_submit(form, insight_rows, submit=submit)
        attendees = _check_attribution(form, insight_rows, follow_up_rows)
        valid = valid and not form.errors and not any(r.errors for r in [*insight_rows, *follow_up_rows])
        if valid and _check_priorities(form, insight_rows):
            if not form.cleaned_data["attendees"] and not form.cleaned_data["external_attendees"]:
                form.add_error("attendees", "Add at least one HCP or other person who took part.")
            else:
                insights, follow_ups = _row_payloads(insight_rows, follow_up_rows, attendees)
                try:
                    interaction = actions.log_interaction(
                        acting_user=user,
                        attendees=form.cleaned_data["attendees"],
                        external_attendees=form.cleaned_data["external_attendees"],
                        data=form.action_data(),
                        products=list(form.cleaned_data.get("products") or []),
                        insights=insights,
                        follow_ups=follow_ups,
                        submit=submit,
                        flag_override_reason=form.override_reason(),
                    )
                except ValidationError as exc:
                    add_action_errors(form, apply_flag_errors(exc, insight_rows))
                else:
                    verb = "submitted" if submit else "saved as a draft"
                    notice = _safety_message(user, interaction) if submit else ""
                    (messages.warning if notice else messages.success)(
                        request, f"Interaction {verb}.{notice}"
                    )
                    return redirect("engagement:interaction_detail", uuid=interaction.uuid)
        status = 200
    else:
        initial: dict[str, Any] = {"occurred_at": now_local(), "duration_minutes": 30}
        prefill = parse_uuids([request.GET.get("hcp", "")]) or []
        if prefill:
            initial["attendees"] = [h for h in visible_hcps(user, prefill) if h.status != HCPStatus.MERGED]
        area = default_area(user, initial.get("attendees") or [])
        if area is not None:
            initial["therapeutic_area"] = area
        form = InteractionForm(initial=initial, user=user)
        insight_rows = row_forms(InsightRowForm, None, INSIGHT_ROW, user=user)
        follow_up_rows = row_forms(FollowUpRowForm, None, FOLLOW_UP_ROW)
        status = 200
    return render(
        request,
        "engagement/interaction_form.html",
        _form_context(request, form, insight_rows, follow_up_rows),
        status=status,
    )


def _form_context(
    request: AuthenticatedRequest,
    form: InteractionForm,
    insight_rows: list,
    follow_up_rows: list,
    **extra: Any,
) -> dict[str, Any]:
    user = request.user
    attendees = form.selected_hcps()
    for row in insight_rows:
        row.ae = ae_summary(row.data.get("insight_text", "")) if row.is_bound else None
        row.flags = compliance_flags(row.data.get("insight_text", "")) if row.is_bound else []
    insight_blank = InsightRowForm(auto_id="id_%s___i__", user=user)
    follow_up_blank = FollowUpRowForm(auto_id="id_%s___i__")
    for row in [*insight_rows, insight_blank]:
        attendee_choices(row, "insight_hcp", attendees, MEETING_AS_A_WHOLE)
    for row in [*follow_up_rows, follow_up_blank]:
        attendee_choices(row, "followup_hcp", attendees, CHOOSE_ATTENDEE)
    return {
        "form": form,
        "insight_rows": insight_rows,
        "follow_up_rows": follow_up_rows,
        "insight_blank": insight_blank,
        "follow_up_blank": follow_up_blank,
        "attendees": attendees,
        "external_attendees": form.selected_external(),
        "autocomplete_url": hcp_autocomplete_url(),
        "external_autocomplete_url": external_autocomplete_url(),
        "ae_notes": ae_summary(form.data.get("notes", "")) if form.is_bound else None,
        "ae_materials": ae_summary(form.data.get("materials_shared", "")) if form.is_bound else None,
        "flags_notes": compliance_flags(form.data.get("notes", "")) if form.is_bound else [],
        "row_errors": any(r.errors for r in [*insight_rows, *follow_up_rows]),
        **extra,
    }


@login_required
@require_POST
def ae_check(request: AuthenticatedRequest) -> HttpResponse:
    """htmx: the AE and special-situation terms in the posted `text`, with a hint to answer "yes".

    Always 200 so that htmx swaps the answer in; an empty body means nothing was found. Medical roles only: the
    firewall refuses every medical endpoint to commercial users (their routed requests are screened on save).
    """
    _deny_unless_any(request.user, ("interaction", "add"), ("insight", "add"), ("inquiry", "view"))
    form = AECheckForm(request.POST)
    if not form.is_valid():
        return render(request, "engagement/_ae_check.html", {"invalid": True})
    return render(
        request,
        "engagement/_ae_check.html",
        {"ae": ae_summary(form.cleaned_data["text"]), "hint": form.cleaned_data.get("hint") or "attest"},
    )


@login_required
@require_POST
def flag_check(request: AuthenticatedRequest) -> HttpResponse:
    """htmx: the compliance flags (superlatives, comparative claims, promotional calls, off-label indications) in
    the posted `text`, shown next to the field as the author types.

    Always 200 so that htmx swaps the answer in; an empty body means no flag. Authors only (field roles): the
    firewall keeps every medical endpoint from commercial users.
    """
    _deny_unless_any(request.user, ("interaction", "add"), ("insight", "add"))
    form = FlagCheckForm(request.POST)
    if not form.is_valid():
        return render(request, "engagement/_flags.html", {"invalid": True})
    return render(request, "engagement/_flags.html", {"flags": compliance_flags(form.cleaned_data["text"])})


# ---------------------------------------------------------------------------------------------------------------
# Lists and detail
# ---------------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def interaction_list(request: AuthenticatedRequest) -> HttpResponse:
    """Interactions the user may see, newest first, with filters and pagination."""
    user = request.user
    require(user, "interaction", "view")
    form = InteractionFilterForm(request.GET or None, user=user)
    interactions = (
        Interaction.objects.restrict(user, "view")
        .select_related("owner", "therapeutic_area")
        .prefetch_related("attendees", "external_attendees")
    )
    if form.is_bound and form.is_valid():
        cd = form.cleaned_data
        if cd.get("date_from"):
            interactions = interactions.filter(occurred_at__date__gte=cd["date_from"])
        if cd.get("date_to"):
            interactions = interactions.filter(occurred_at__date__lte=cd["date_to"])
        if cd.get("channel"):
            interactions = interactions.filter(channel=cd["channel"])
        if cd.get("therapeutic_area"):
            interactions = interactions.filter(therapeutic_area=cd["therapeutic_area"])
        if cd.get("status"):
            interactions = interactions.filter(status=cd["status"])
        for word in (cd.get("hcp") or "").split()[:4]:
            interactions = interactions.filter(
                Q(attendees__first_name__icontains=word) | Q(attendees__last_name__icontains=word)
            )
        interactions = interactions.distinct()
    page = requested_page(request, interactions)
    return render(
        request,
        "engagement/interaction_list.html",
        {
            "form": form,
            "page": page,
            "can_add": can(user, "interaction", "add"),
            "can_view_follow_ups": can(user, "follow_up", "view"),
            "filtered": bool(request.GET.dict().keys() - {"page"}),
        },
    )


def _visible_interaction(user: User, uuid: Any) -> Interaction:
    return get_restricted_or_404(
        Interaction,
        user,
        uuid,
        queryset=Interaction.objects.select_related("owner", "therapeutic_area"),
    )


@login_required
@require_GET
def interaction_detail(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """One interaction: attendees, details, insights, follow-ups, HCP feedback, safety reports and its changelog."""
    user = request.user
    interaction = _visible_interaction(user, uuid)
    tab = "changelog" if request.GET.get("tab") == "changelog" else "details"
    return render(request, "engagement/interaction_detail.html", _detail_context(request, interaction, tab))


def _feedback_form(user: User, interaction: Interaction, data: Any = None) -> HcpFeedbackForm | None:
    """The "record feedback" form, for users who may record it on this (submitted) interaction only."""
    if not can(user, "hcp_feedback", "add") or interaction.status != InteractionStatus.SUBMITTED:
        return None
    return HcpFeedbackForm(
        data, user=user, interaction=interaction, initial={"received_on": timezone.localdate()}
    )


def _detail_context(
    request: AuthenticatedRequest,
    interaction: Interaction,
    tab: str,
    *,
    feedback_form: HcpFeedbackForm | None = None,
) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {
        "interaction": interaction,
        "tab": tab,
        "attendance": interaction.attendance.select_related("hcp").order_by("hcp__last_name"),
        "external_attendance": interaction.external_attendees.select_related("organization"),
        "products": interaction.products.all(),
        "insights": visible_related(interaction, "insights", user).select_related(
            "listening_priority", "author"
        ),
        "follow_ups": FollowUp.objects.restrict(user, "view")
        .filter(interaction=interaction)
        .select_related("hcp", "owner"),
        "can_change": Interaction.objects.restrict(user, "change").filter(pk=interaction.pk).exists(),
        "can_change_follow_ups": can(user, "follow_up", "change"),
        "can_view_safety": can(user, "safety_report", "view"),
        "can_view_insights": can(user, "insight", "view"),
        "can_view_feedback": can(user, "hcp_feedback", "view"),
        "feedback": HcpFeedback.objects.restrict(user, "view")
        .filter(interaction=interaction)
        .select_related("hcp", "recorded_by")
        .order_by("hcp__last_name", "hcp__first_name"),
        "feedback_form": feedback_form or _feedback_form(user, interaction),
        "today": timezone.localdate(),
    }
    if context["can_view_safety"]:
        context["safety_reports"] = visible_related(interaction, "safety_reports", user)
    if tab == "changelog":
        context["events"] = changelog_for(interaction, user)
    return context


@login_required
@require_POST
def interaction_feedback(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """Record what an attendee said the interaction was worth; errors re-render the page with the form (422)."""
    user = request.user
    require(user, "hcp_feedback", "add")
    interaction = _visible_interaction(user, uuid)
    form = _feedback_form(user, interaction, request.POST)
    if form is None:
        messages.error(request, "Feedback can only be recorded on a submitted interaction.")
        return redirect("engagement:interaction_detail", uuid=interaction.uuid)
    if form.is_valid():
        cd = form.cleaned_data
        reported = _safety_message(user, interaction)
        try:
            feedback = actions.record_hcp_feedback(
                interaction,
                acting_user=user,
                hcp=cd["hcp"],
                value=cd["value"],
                source=cd["source"],
                received_on=cd["received_on"],
                comment=cd.get("comment") or "",
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            # Only a report the comment itself raised is news here; the interaction's own ones were announced.
            notice = _safety_message(user, interaction)
            notice = "" if notice == reported else notice
            (messages.warning if notice else messages.success)(
                request, f"Feedback from {feedback.hcp.full_name} recorded.{notice}"
            )
            return redirect(
                reverse("engagement:interaction_detail", kwargs={"uuid": interaction.uuid})
                + "#feedback-heading"
            )
    context = _detail_context(request, interaction, "details", feedback_form=form)
    return render(request, "engagement/interaction_detail.html", context, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def interaction_edit(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """Edit an interaction: drafts freely (and submit them); submitted ones with a reason, Day 0 fixed."""
    user = request.user
    interaction = get_restricted_or_404(Interaction, user, uuid, "change")
    submitted = interaction.status == InteractionStatus.SUBMITTED
    initial = {
        "attendees": [a.hcp for a in interaction.attendance.select_related("hcp")],
        "external_attendees": list(interaction.external_attendees.select_related("organization")),
        "occurred_at": timezone.localtime(interaction.occurred_at).replace(second=0, microsecond=0),
        "duration_minutes": interaction.duration_minutes,
        "channel": interaction.channel,
        "purpose": interaction.purpose,
        "therapeutic_area": interaction.therapeutic_area,
        "initiation": interaction.initiation,
        "topics": ", ".join(interaction.topics or []),
        "products": list(interaction.products.all()),
        "materials_shared": interaction.materials_shared,
        "notes": interaction.notes,
        "ae_attestation": interaction.ae_attestation,
    }
    if request.method == "POST":
        form = InteractionEditForm(request.POST, initial=initial, user=user, submitted=submitted)
        submit = not submitted and request.POST.get("action") == "submit"
        form.is_valid()
        _check_before_submit(form, [], submit=submit)
        if not form.errors:
            if not form.cleaned_data["attendees"] and not form.cleaned_data["external_attendees"]:
                form.add_error("attendees", "Add at least one HCP or other person who took part.")
            else:
                data = form.action_data()
                if submitted:
                    data.pop("occurred_at")
                try:
                    actions.update_interaction(
                        interaction,
                        acting_user=user,
                        data=data,
                        attendees=form.cleaned_data["attendees"],
                        external_attendees=form.cleaned_data["external_attendees"],
                        products=list(form.cleaned_data.get("products") or []),
                        submit=submit,
                        reason=form.cleaned_data.get("reason", ""),
                        flag_override_reason=form.override_reason(),
                    )
                except ValidationError as exc:
                    add_action_errors(form, exc)
                else:
                    notice = _safety_message(user, interaction) if submit or submitted else ""
                    verb = "submitted" if submit else "updated"
                    (messages.warning if notice else messages.success)(
                        request, f"Interaction {verb}.{notice}"
                    )
                    return redirect("engagement:interaction_detail", uuid=interaction.uuid)
    else:
        form = InteractionEditForm(initial=initial, user=user, submitted=submitted)
    return render(
        request,
        "engagement/interaction_form.html",
        {
            **_form_context(request, form, [], []),
            "interaction": interaction,
            "editing": True,
            "submitted": submitted,
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# Follow-ups
# ---------------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def follow_up_list(request: AuthenticatedRequest) -> HttpResponse:
    """My follow-ups: overdue first (earliest due date first), then the rest."""
    user = request.user
    require(user, "follow_up", "view")
    form = FollowUpFilterForm(request.GET or None)
    show = "open"
    if form.is_bound and form.is_valid():
        show = form.cleaned_data.get("status") or "open"
    follow_ups = (
        FollowUp.objects.restrict(user, "view")
        .filter(owner=user)
        .select_related("hcp", "interaction")
        .order_by("due_date", "created_at")
    )
    if show != "all":
        follow_ups = follow_ups.filter(status=show)
    today = timezone.localdate()
    page = requested_page(request, follow_ups, per_page=50)
    overdue = (
        FollowUp.objects.restrict(user, "view")
        .filter(owner=user, status=FollowUpStatus.OPEN, due_date__lt=today)
        .count()
    )
    return render(
        request,
        "engagement/follow_up_list.html",
        {
            "form": form,
            "page": page,
            "today": today,
            "show": show,
            "overdue_count": overdue,
            "can_change_follow_ups": can(user, "follow_up", "change"),
        },
    )


@login_required
@require_POST
def follow_up_update(request: AuthenticatedRequest, uuid: Any) -> HttpResponse:
    """Complete, cancel or re-open a follow-up; htmx swaps the row, a plain post goes back where it came from."""
    user = request.user
    follow_up = get_restricted_or_404(
        FollowUp, user, uuid, "change", queryset=FollowUp.objects.select_related("hcp", "interaction")
    )
    form = FollowUpStatusForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Choose done, cancelled or open."
    else:
        try:
            follow_up = actions.update_follow_up(
                follow_up, acting_user=user, status=form.cleaned_data["status"]
            )
        except ValidationError as exc:
            error = (
                "; ".join(m for ms in exc.message_dict.values() for m in ms)
                if hasattr(exc, "error_dict")
                else "; ".join(exc.messages)
            )
    if request.htmx:
        return render(
            request,
            "engagement/_follow_up_row.html",
            {
                "fu": follow_up,
                "today": timezone.localdate(),
                "can_change_follow_ups": True,
                "row_error": error,
                "just_changed": not error,
                "show_interaction": request.POST.get("ctx") == "list",
            },
        )
    if error:
        messages.error(request, f"The follow-up was not changed: {error}")
    else:
        messages.success(request, f"Follow-up marked {follow_up.get_status_display().lower()}.")
    return redirect(safe_next(request, reverse("engagement:follow_up_list")))
