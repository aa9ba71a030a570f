"""The safety SLA: which reports its clock runs for, where each stands against it, and escalation."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, models
from django.utils import timezone

from . import actions
from .models import EscalationLevel, ReportStatus, SafetyEscalation, SafetyReport


def open_reports() -> models.QuerySet:
    """Reports whose SLA clock runs: not acknowledged by drug safety and not closed as "not an AE"."""
    return SafetyReport.objects.filter(acknowledged_at__isnull=True).exclude(status=ReportStatus.NOT_AN_AE)


def sla_level(report: SafetyReport, now: dt.datetime) -> str:
    """ "overdue" past the SLA, "at_risk" past 75% of it, "" otherwise (or once acknowledged or closed)."""
    if report.acknowledged_at is not None or report.status == ReportStatus.NOT_AN_AE:
        return ""
    hours = (now - report.day_zero).total_seconds() / 3600
    sla = float(settings.SAFETY_SLA_HOURS)
    if hours > sla:
        return EscalationLevel.OVERDUE
    if hours > 0.75 * sla:
        return EscalationLevel.AT_RISK
    return ""


def escalate_reports(*, now: dt.datetime | None = None) -> list[SafetyEscalation]:
    """Escalate every open report that crossed 75% of the SLA or the SLA itself, once per level.

    Each escalation is a row drug safety leads see on the queue and an audit event (`actions.record_escalation`);
    running this again changes nothing.
    """
    now = now or timezone.now()
    sla = float(settings.SAFETY_SLA_HOURS)
    created = []
    candidates = open_reports().filter(day_zero__lt=now - dt.timedelta(hours=0.75 * sla))
    done = set(SafetyEscalation.objects.filter(report__in=candidates).values_list("report_id", "level"))
    for report in candidates:
        level = sla_level(report, now)
        levels = [EscalationLevel.AT_RISK] + ([EscalationLevel.OVERDUE] if level == "overdue" else [])
        for lvl in levels:
            if (report.pk, lvl) in done:
                continue
            hours = (now - report.day_zero).total_seconds() / 3600
            try:
                row = actions.record_escalation(report, level=lvl, hours=hours, sla_hours=sla)
            except IntegrityError:  # another worker escalated it at the same moment
                continue
            created.append(row)
    return created
