"""Transparency pages: the ledger, recording and voiding a transfer, the disclosure exports, the import, and
consent from the HCP page's "Transfers of value" tab.

Reads go through restrict() (transparency/queries.py); writes through transparency.actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison.core.forms import add_action_errors
from liaison.core.permissions import can, require
from liaison.core.validation import error_messages
from liaison.core.views import AuthenticatedRequest, get_restricted_or_404, requested_page
from liaison.people.models import HCP

from . import actions
from .actions import IMPORT_COLUMNS
from .exports import build_export
from .forms import ConsentForm, ExportForm, ImportForm, LedgerFilterForm, TransferForm, VoidForm
from .models import TransferOfValue
from .queries import ledger

MAX_IMPORT_BYTES = 5 * 1024 * 1024
PREVIEW_ROWS = 50


@login_required
@require_GET
def ledger_list(request: AuthenticatedRequest) -> HttpResponse:
    """Every transfer the user may see, newest payment first, filtered by year, nature, recipient and country."""
    user = request.user
    require(user, "transfer_of_value", "view")
    form = LedgerFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "year": data["year"],
            "nature": data["nature"],
            "recipient": data["recipient"],
            "country": data["country"],
        }
    page = requested_page(request, ledger(user, **filters))
    return render(
        request,
        "transparency/ledger.html",
        {
            "form": form,
            "page": page,
            "filtered": any(filters.values()),
            "can_add": can(user, "transfer_of_value", "add"),
            "can_export": can(user, "transfer_of_value", "export"),
            "can_import": can(user, "transfer_of_value", "add") and can(user, "transfer_of_value", "change"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def transfer_new(request: AuthenticatedRequest) -> HttpResponse:
    """Record a transfer; `?hcp=<uuid>` preselects the recipient (the HCP page links here). Errors show next to
    their fields (422)."""
    user = request.user
    require(user, "transfer_of_value", "add")
    initial = {"recipient_hcp": request.GET["hcp"]} if request.GET.get("hcp") else {}
    form = TransferForm(request.POST or None, choices_for=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            transfer = actions.record_transfer(acting_user=user, **data)
        except ValidationError as exc:
            add_action_errors(form, exc, field_map={"recipient": "recipient_hcp", "npi": "recipient_hcp"})
        else:
            messages.success(request, f"Transfer recorded: {transfer}.")
            return redirect("transparency:transfer_detail", uuid=transfer.uuid)
    status = 422 if request.method == "POST" else 200
    return render(request, "transparency/transfer_form.html", {"form": form}, status=status)


def _detail(
    request: AuthenticatedRequest, transfer: TransferOfValue, form: VoidForm | None, status: int = 200
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "transparency/transfer_detail.html",
        {
            "t": transfer,
            "void_form": form or VoidForm(),
            "can_void": can(user, "transfer_of_value", "change") and transfer.voided_at is None,
            "replaces": list(transfer.replaces.all()),
        },
        status=status,
    )


def _transfer(user: Any, uuid: str, action: str = "view") -> TransferOfValue:
    return get_restricted_or_404(
        TransferOfValue,
        user,
        uuid,
        action,
        queryset=TransferOfValue.objects.select_related(
            "recipient_hcp", "recipient_organization", "recorded_by", "replaced_by"
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def transfer_detail(request: AuthenticatedRequest, uuid: str) -> HttpResponse:
    """One transfer with its context; POST voids it with a reason (the row stays, marked, and leaves the
    exports). Errors show next to the reason (422)."""
    user = request.user
    if request.method == "GET":
        return _detail(request, _transfer(user, uuid), None)
    transfer = _transfer(user, uuid, "change")
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            actions.void_transfer(transfer, acting_user=user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "Transfer voided. Record the corrected transfer if there is one.")
            return redirect("transparency:transfer_detail", uuid=transfer.uuid)
    return _detail(request, transfer, form, status=422)


@login_required
@require_GET
def exports(request: AuthenticatedRequest) -> HttpResponse:
    """Choose a file (CMS general or research payments, EFPIA per country) and a year; see what it holds, what
    was refused and why, and download it."""
    user = request.user
    require(user, "transfer_of_value", "export")
    form = ExportForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"] == "efpia" and not data["country"]:
            form.add_error("country", "An EFPIA disclosure is per country: give its code.")
        else:
            result = build_export(user, kind=data["kind"], year=data["year"], country=data["country"] or "US")
            columns, rows = result.table()
            query = request.GET.urlencode()
            context.update(
                result=result,
                columns=columns,
                preview=rows[:PREVIEW_ROWS],
                download=f"{reverse('transparency:export_download')}?{query}",
            )
    return render(request, "transparency/exports.html", context)


@login_required
@require_GET
def export_download(request: AuthenticatedRequest) -> HttpResponse:
    """The chosen file as CSV; the refusals stay on the exports page (and in X-Refusals)."""
    user = request.user
    require(user, "transfer_of_value", "export")
    form = ExportForm(request.GET)
    if not form.is_valid() or (form.cleaned_data["kind"] == "efpia" and not form.cleaned_data["country"]):
        return redirect("transparency:exports")
    data = form.cleaned_data
    result = build_export(user, kind=data["kind"], year=data["year"], country=data["country"] or "US")
    response = HttpResponse(result.to_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["X-Refusals"] = str(len(result.refusals))
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a CSV of transfers; preview it (dry run, the default) or import it. Each refused row is listed by
    line and field."""
    user = request.user
    require(user, "transfer_of_value", "add")
    require(user, "transfer_of_value", "change")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error("file", f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
        else:
            try:
                report = actions.import_transfers(
                    acting_user=user, data=upload.read(), dry_run=form.cleaned_data["dry_run"]
                )
            except ValidationError as exc:
                add_action_errors(form, exc)
    if request.method == "POST" and (report is None or report.refused):
        status = 422
    return render(
        request,
        "transparency/import.html",
        {"form": form, "report": report, "columns": IMPORT_COLUMNS},
        status=status,
    )


@login_required
@require_POST
def hcp_consent(request: AuthenticatedRequest) -> HttpResponse:
    """Record the HCP's (`hcp` in the form) answer on individual disclosure for a year, from the HCP page's tab."""
    user = request.user
    require(user, "transfer_of_value", "add")
    hcp = get_restricted_or_404(HCP, user, request.POST.get("hcp"))
    form = ConsentForm(request.POST)
    target = f"{reverse('people:hcp_detail', args=[hcp.uuid])}?tab=transfers"
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
        messages.error(request, f"Consent not recorded: {errors}")
        return redirect(target)
    try:
        actions.record_consent(acting_user=user, hcp=hcp, **form.cleaned_data)
    except ValidationError as exc:
        text = "; ".join(m for ms in error_messages(exc).values() for m in ms)
        messages.error(request, f"Consent not recorded: {text}")
    else:
        messages.success(request, f"Disclosure consent for {form.cleaned_data['year']} recorded.")
    return redirect(target)
