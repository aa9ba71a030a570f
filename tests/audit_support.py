"""Lifting the append-only guards on audit events, for tamper tests and for the flush after transactional tests.

This is what an attacker with direct database access would do; `liaison audit verify` must then catch any edit.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils import timezone

from liaison.backup import backed_up_models

append_only = importlib.import_module("liaison.compliance.migrations.0002_append_only")


def set_audit_guards(enabled: bool, conn: Any = connection) -> None:
    """Drop (enabled=False) or restore (enabled=True) the triggers that make audit events append-only."""
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            statements = append_only.SQLITE if enabled else append_only.SQLITE_REVERSE
            for sql in statements:
                cursor.execute(sql)
        elif conn.vendor == "postgresql":
            verb = "ENABLE" if enabled else "DISABLE"
            cursor.execute(f"ALTER TABLE compliance_auditevent {verb} TRIGGER audit_event_no_update_delete")
            cursor.execute(f"ALTER TABLE compliance_auditevent {verb} TRIGGER audit_event_no_truncate")
        else:  # pragma: no cover - only the two supported databases
            raise NotImplementedError(conn.vendor)


def tamper(sql: str, params: list[Any] | None = None, conn: Any = connection) -> None:
    """Run one statement against the audit table with the guards lifted, then put them back."""
    set_audit_guards(False, conn)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params or [])
    finally:
        set_audit_guards(True, conn)


# One way to build each audited model, with one field to change: (kwargs for create, field, new value).
# A new audited model needs an entry here, so that the generic create/update/delete tests of test_audit.py and the
# tampering suite in tests/reliability cover it.
def audit_factories(w: dict[str, Any]) -> dict[str, tuple[Callable[[], dict[str, Any]], str, Any]]:
    from liaison.engagement.models import FollowUp, Interaction
    from liaison.insights.models import Insight
    from liaison.loop.models import Theme
    from liaison.people.models import HCP, Organization
    from liaison.planning.models import StandingInterest
    from liaison.safety.models import SafetyReport
    from liaison.stakeholders.models import DigestDelivery, Stakeholder

    now = timezone.now().replace(microsecond=0)

    def hcp(**extra: Any) -> HCP:
        return HCP.objects.create(first_name="Audit", last_name=f"Subject{HCP.objects.count()}", **extra)

    def interaction() -> Interaction:
        return Interaction.objects.create(
            owner=w["alice"], occurred_at=now, channel="phone", purpose="education"
        )

    def insight() -> Insight:
        return Insight.objects.create(
            author=w["alice"], therapeutic_area=w["oncology"], text="Clinics wait weeks for PD-L1 results"
        )

    def safety_report() -> SafetyReport:
        return SafetyReport.objects.create(reported_by=w["alice"], day_zero=now, trigger="manual")

    def stakeholder() -> Stakeholder:
        return Stakeholder.objects.create(name="HEOR team", function="heor", owner=w["mona"])

    def delivery() -> DigestDelivery:
        return DigestDelivery.objects.create(**digest_delivery_kwargs())

    def digest_delivery_kwargs() -> dict[str, Any]:
        return {
            "stakeholder": stakeholder(),
            "sent_by": w["mona"],
            "sent_at": now,
            "period_start": now - dt.timedelta(days=30),
            "period_end": now,
            "recipient": "heor@example.com",
            "channel": "email",
            "form": "insights",
            "subject": "Oncology insights, last 30 days",
            "status": "sent",
        }

    def standing_interest_kwargs() -> dict[str, Any]:
        return {
            "hcp": hcp(),
            "recorded_by": w["alice"],
            "topic": "EGFR resistance",
            "mesh_terms": ["D000077216"],
            "recorded_on": dt.date(2030, 1, 1),
            "expires_on": dt.date(2031, 1, 1),
        }

    def event() -> Any:
        from liaison.programs.models import Event

        return Event.objects.create(
            kind="advisory_board",
            title="Adjuvant therapy advisory board",
            starts_at=now,
            ends_at=now + dt.timedelta(hours=3),
            therapeutic_area=w["oncology"],
            owner=w["alice"],
        )

    def congress_session() -> Any:
        from liaison.programs.models import CongressSession

        return CongressSession.objects.create(
            event=event(),
            code=f"S{CongressSession.objects.count()}",
            title="Late-breaking abstracts",
            starts_at=now,
        )

    def question() -> Any:
        from liaison.programs.models import BoardQuestion

        return BoardQuestion.objects.create(event=event(), title="Which patients need adjuvant therapy?")

    def participant() -> Any:
        from liaison.programs.models import EventParticipant

        return EventParticipant.objects.create(event=event(), hcp=hcp())

    def portal_access() -> Any:
        from liaison.accounts.models import User
        from liaison.programs.models import PortalAccess

        advisor = User.objects.create(username=f"advisor{User.objects.count()}", role="advisor")
        return PortalAccess.objects.create(
            participant=participant(),
            user=advisor,
            token_hash=f"{PortalAccess.objects.count():064d}",
            issued_at=now,
            expires_at=now + dt.timedelta(days=7),
        )

    def theme() -> Theme:
        return Theme.objects.create(
            name="Testing delays", therapeutic_area=w["oncology"], created_by=w["lena"]
        )

    return {
        "accounts.therapeuticarea": (lambda: {"name": "Neurology", "code": "neuro"}, "description", "CNS"),
        "accounts.product": (
            lambda: {"name": "Kardiomab", "therapeutic_area": w["cardio"]},
            "generic_name",
            "kmab",
        ),
        "accounts.team": (lambda: {"name": "Neuro North"}, "name", "Neuro South"),
        "accounts.territory": (lambda: {"name": "Plains", "regions": ["IA"]}, "regions", ["IA", "NE"]),
        "accounts.user": (lambda: {"username": "zed", "role": "msl"}, "title", "Senior MSL"),
        "accounts.apitoken": (
            lambda: {"user": w["alice"], "name": "ci", "prefix": "lsn_abc", "key_hash": "f" * 64},
            "name",
            "ci-2",
        ),
        "accounts.calendarfeedtoken": (
            lambda: {"user": w["alice"], "prefix": "cal_abcdef", "key_hash": "e" * 64},
            "revoked_at",
            now,
        ),
        "people.organization": (lambda: {"name": "Mercy Hospital", "city": "Ames"}, "kind", "hospital"),
        "people.externalperson": (lambda: {"first_name": "Priya", "last_name": "Raman"}, "role", "payer"),
        "people.hcp": (lambda: {"first_name": "Ada", "last_name": "Byron"}, "tier", 2),
        "people.affiliation": (
            lambda: {"hcp": hcp(), "organization": Organization.objects.create(name="Uni")},
            "title",
            "Professor",
        ),
        "engagement.interaction": (
            lambda: {"owner": w["alice"], "occurred_at": now, "channel": "phone", "purpose": "education"},
            "notes",
            "Talked about dosing.",
        ),
        "engagement.interactionattendee": (lambda: {"interaction": interaction(), "hcp": hcp()}, "hcp", hcp),
        "engagement.followup": (
            lambda: {"owner": w["alice"], "description": "Send paper", "due_date": dt.date(2030, 1, 1)},
            "status",
            "done",
        ),
        "engagement.hcpfeedback": (
            lambda: {
                "interaction": interaction(),
                "hcp": hcp(),
                "recorded_by": w["alice"],
                "value": 4,
                "source": "during_meeting",
                "received_on": now.date(),
            },
            "value",
            2,
        ),
        "insights.listeningpriority": (
            lambda: {"therapeutic_area": w["oncology"], "title": "Access"},
            "order",
            3,
        ),
        "insights.insight": (
            lambda: {"author": w["alice"], "therapeutic_area": w["oncology"], "text": "KOLs want"},
            "text",
            "KOLs want real-world data",
        ),
        "medinfo.medicalinquiry": (
            lambda: {
                "captured_by": w["alice"],
                "channel": "email",
                "question": "Dose?",
                "received_at": now,
                "requester_name": "Dr X",
            },
            "status",
            "closed",
        ),
        "safety.safetyreport": (
            lambda: {"reported_by": w["alice"], "day_zero": now, "trigger": "manual"},
            "triage_note",
            "Looks like a rash",
        ),
        # Delivery bookkeeping is what changes on an outbox row; the report, sequence and idempotency key that
        # identify the forwarding stay as they are.
        "safety.safetyoutbox": (
            lambda: {
                "report": (report := safety_report()),
                "sequence": 1,
                "idempotency_key": f"{report.uuid}:1",
                "channel": "e2b",
                "payload": {"report": str(report.uuid)},
            },
            "status",
            "sent",
        ),
        # (report, level) is the escalation's identity (one row per report and level), so change the SLA instead.
        "safety.safetyescalation": (
            lambda: {
                "report": safety_report(),
                "level": "at_risk",
                "hours_since_day_zero": 18.5,
                "sla_hours": 24,
            },
            "sla_hours",
            15,
        ),
        "kol.identitylink": (
            lambda: {
                "person_id": "p-audit-0001",
                "target": "npi",
                "target_id": "1234567893",
                "confidence": 0.82,
                "status": "suggested",
            },
            "status",
            "accepted",
        ),
        "intel.themefeedback": (
            lambda: {
                "insight": insight(),
                "priority": w["priority"],
                "suggested": w["priority"],
                "verdict": "confirmed",
                "reviewer": w["lena"],
            },
            "note",
            "Clearly about testing access",
        ),
        "stakeholders.stakeholder": (
            lambda: {"name": "Clinical operations", "function": "clinical_operations", "owner": w["mona"]},
            "cadence",
            "weekly",
        ),
        "stakeholders.digestdelivery": (digest_delivery_kwargs, "status", "failed"),
        "stakeholders.stakeholderfeedback": (
            lambda: {
                "stakeholder": (sent := delivery()).stakeholder,
                "delivery": sent,
                "verdict": "used",
                "recorded_by": w["mona"],
            },
            "comment",
            "Fed into the value dossier",
        ),
        "planning.engagementplan": (
            lambda: {
                "owner": w["alice"],
                "kind": "kol",
                "hcp": hcp(),
                "year": 2030,
                "quarter": 1,
                "planned_per_quarter": 2,
            },
            "planned_per_quarter",
            3,
        ),
        "planning.standinginterest": (standing_interest_kwargs, "renewed_on", dt.date(2030, 6, 1)),
        "planning.interestreminder": (
            lambda: {
                "interest": StandingInterest.objects.create(**standing_interest_kwargs()),
                "follow_up": FollowUp.objects.create(
                    owner=w["alice"], description="Send the new paper", due_date=dt.date(2030, 2, 1)
                ),
                "source": "publication",
                "source_key": "38000001",
            },
            "source_title",
            "Osimertinib resistance mechanisms",
        ),
        "loop.insightrating": (
            lambda: {
                "insight": insight(),
                "reviewer": w["lena"],
                "specific": 3,
                "actionable": 4,
                "new": True,
            },
            "specific",
            5,
        ),
        "loop.theme": (
            lambda: {"name": "Testing delays", "therapeutic_area": w["oncology"], "created_by": w["lena"]},
            "description",
            "Slow PD-L1 turnaround in community clinics",
        ),
        "loop.insightaction": (
            lambda: {
                "theme": theme(),
                "title": "Brief the lab partners",
                "due_date": dt.date(2030, 3, 1),
                "created_by": w["lena"],
            },
            "status",
            "in_progress",
        ),
        "loop.notification": (
            lambda: {"user": w["alice"], "text": "An action fed by your insight was created"},
            "read_at",
            now,
        ),
        "programs.event": (
            lambda: {
                "kind": "webinar",
                "title": "Biomarker testing webinar",
                "starts_at": now,
                "ends_at": now + dt.timedelta(hours=1),
                "therapeutic_area": w["oncology"],
                "owner": w["alice"],
            },
            "minutes",
            "Panel agreed on reflex testing.",
        ),
        "programs.eventstaff": (
            lambda: {"event": event(), "user": w["mona"], "role": "chair"},
            "role",
            "moderator",
        ),
        "programs.eventparticipant": (lambda: {"event": event(), "hcp": hcp()}, "role", "speaker"),
        "programs.eventactionitem": (
            lambda: {"event": event(), "title": "Send the slides", "owner": w["alice"]},
            "title",
            "Send the slides and the minutes",
        ),
        "programs.eventinsight": (lambda: {"event": event(), "insight": insight()}, "event", event),
        "programs.eventdocument": (
            lambda: {"event": event(), "title": "Agenda", "reference": "DMS-1"},
            "reference",
            "DMS-2",
        ),
        "programs.boardquestion": (
            lambda: {"event": event(), "title": "Which patients need adjuvant therapy?"},
            "body",
            "Think of the last ten patients you treated.",
        ),
        "programs.portalaccess": (
            lambda: {
                "participant": participant(),
                "user": w["alice"],
                "token_hash": "a" * 64,
                "issued_at": now,
                "expires_at": now + dt.timedelta(days=7),
            },
            "used_at",
            now,
        ),
        "programs.boardpost": (
            lambda: {
                "question": question(),
                "staff_author": w["alice"],
                "text": "Thank you: could you say more?",
            },
            "text",
            "Thank you: could you say more about the second case?",
        ),
        "programs.portalvisit": (
            lambda: {"access": portal_access(), "started_at": now, "last_seen": now},
            "started_at",
            now - dt.timedelta(minutes=5),
        ),
        "programs.needsassessment": (
            lambda: {"event": event(), "questions": ["Which patients need adjuvant therapy?"]},
            "rationale",
            "No community-practice data on adjuvant use.",
        ),
        "programs.fmvrate": (
            lambda: {
                "activity": "advisory_board",
                "hourly_rate": "250.00",
                "currency": "EUR",
                "valid_from": dt.date(2030, 1, 1),
            },
            "hourly_rate",
            "275.00",
        ),
        "programs.fmvcap": (
            lambda: {"country": "DE", "amount": "20000.00", "currency": "EUR"},
            "amount",
            "25000.00",
        ),
        "programs.advisorcontract": (
            lambda: {
                "participant": participant(),
                "activity": "advisory_board",
                "services": "One-day advisory board",
                "hours": "6.00",
                "hourly_rate": "250.00",
                "currency": "EUR",
                "created_by": w["alice"],
            },
            "override_reason",
            "Guideline author; FMV committee approved.",
        ),
        "programs.congresssession": (
            lambda: {"event": event(), "code": "LBA1", "title": "Late-breaking abstracts", "starts_at": now},
            "room",
            "Hall A",
        ),
        "programs.coverageassignment": (
            lambda: {"session": congress_session(), "user": w["alice"]},
            "covered_at",
            now,
        ),
        "programs.sessionnote": (
            lambda: {"session": congress_session(), "author": w["alice"], "text": "Overall survival held."},
            "text",
            "Overall survival held at five years.",
        ),
        "transparency.transferofvalue": (
            lambda: {
                "recipient_hcp": hcp(),
                "nature": "honorarium",
                "paid_on": dt.date(2030, 3, 1),
                "amount": "1500.00",
                "currency": "USD",
                "country": "US",
                "recorded_by": w["carla"],
            },
            "amount",
            "1750.00",
        ),
        "transparency.disclosureconsent": (
            lambda: {
                "hcp": hcp(),
                "year": 2030,
                "consented": True,
                "recorded_on": dt.date(2030, 1, 5),
                "recorded_by": w["carla"],
            },
            "consented",
            False,
        ),
    }


def empty_the_database() -> None:
    """Make this (migrated) database look freshly migrated: no rows in any backed-up table.

    Audit events are append-only, so their triggers are lifted for the wipe and put back afterwards; the test
    transaction rolls all of it back at the end.
    """
    set_audit_guards(False)
    try:
        with connection.cursor() as cursor:
            for model in reversed(backed_up_models()):
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    finally:
        set_audit_guards(True)
