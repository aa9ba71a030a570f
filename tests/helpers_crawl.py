"""Planting marked medical records and crawling the whole site for them: the machinery of tests/security/test_firewall.py.

The firewall proof works like a dye test. Every medical free-text field of every kind of medical record gets a
unique marker string ("MARKER-NOTES-7f3a", ...), written through the actions like any user would. Then a crawler
visits every page and API operation the app has (enumerated from the URL resolver and the OpenAPI document,
not from a hand-kept list, so new pages are covered the day they appear) and reports every response that shows
a marker. A commercial user must find none; an MSL must find her own (so the crawl is not vacuous).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import re
import uuid as uuidlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

# One marker per medical free-text field. Their suffixes are unique, so a hit names the field that leaked.
MARKERS: dict[str, str] = {
    "notes": "MARKER-NOTES-7f3a",
    "materials": "MARKER-MATERIALS-2b91",
    "topic": "MARKER-TOPIC-c44e",
    "insight": "MARKER-INSIGHT-9d02",
    "standalone_insight": "MARKER-INSIGHT-SOLO-51aa",
    "followup": "MARKER-FOLLOWUP-e6b7",
    "standalone_followup": "MARKER-FOLLOWUP-SOLO-0c3d",
    "inquiry_question": "MARKER-INQUIRY-QUESTION-a8f1",
    "inquiry_contact": "MARKER-INQUIRY-CONTACT-33d9",
    "answer": "MARKER-ANSWER-4e5c",
    "safety_event": "MARKER-SAFETY-EVENT-b7d0",
    "manual_event": "MARKER-MANUAL-EVENT-12fe",
    "triage": "MARKER-TRIAGE-6a2e",
    "case_id": "MARKER-CASE-ID-f19b",
    "review_note": "MARKER-REVIEW-NOTE-d5c8",
    "lp_title": "MARKER-LP-TITLE-7e44",
    "lp_description": "MARKER-LP-DESCRIPTION-90ab",
    "edit_reason": "MARKER-AUDIT-REASON-EDIT-3f6d",
    "close_reason": "MARKER-AUDIT-REASON-CLOSE-c2e0",
    "other_team_notes": "MARKER-OTHER-TEAM-NOTES-8b1f",
    "payer_notes": "MARKER-PAYER-NOTES-5e21",
    # Patient-identifying text, as a careless note would hold it: planted with every marker below (and into every
    # other free-text field of every medical model by `plant_every_text_field`). No pattern or name list of the
    # de-identification knows "Quackenbush", so only the firewall itself can keep it from commercial users.
    "patient": "Zelda Quackenbush",
    "cohort_insight": "MARKER-COHORT-INSIGHT-5c7d",
    "hcp_feedback": "MARKER-HCP-FEEDBACK-1d4e",
    "rating_note": "MARKER-RATING-NOTE-70b2",
    "loop_theme": "MARKER-LOOP-THEME-e83a",
    "loop_action": "MARKER-LOOP-ACTION-2f5c",
    "loop_outcome": "MARKER-LOOP-OUTCOME-9a61",
    "standing_interest": "MARKER-STANDING-INTEREST-4c0d",
    "theme_feedback": "MARKER-THEME-FEEDBACK-b51e",
    "stakeholder_expectations": "MARKER-STAKEHOLDER-EXPECTATIONS-63f0",
    "stakeholder_feedback": "MARKER-STAKEHOLDER-FEEDBACK-d27a",
    "transfer": "MARKER-TRANSFER-6e1b",
    "event_minutes": "MARKER-EVENT-MINUTES-3a7c",
}
PATIENT = "Patient Zelda Quackenbush, 54"
# Enough HCPs on one listening priority in one month for the aggregate report to show the group (k = 5), so the
# crawl reaches a report that actually has figures (and a released summary) to show.
COHORT_SIZE = 6
COHORT_PRIORITY = "Biomarker turnaround in community sites"
# The one wording of the cohort a medical reviewer releases: commercial users must see it (a control that the
# report is reached and filled), and nothing else any medical person wrote.
RELEASED_SUMMARY = "Released summary 4b2e: community sites wait weeks for biomarker results."
FRAGMENT = "MARKER"
# Fragments typed into search boxes and filters: prefixes and suffixes of markers, never a whole marker, so an
# echo of the query ("results for MARKER-NOTES") is distinguishable from a leak of the record.
SEARCH_FRAGMENTS = ("MARKER", "MARKER-NOTES", "NOTES-7f3a", "rash", "MARKER-INSIGHT", "MARKER-INQUIRY")
NO_MATCH = "zqxjvw-nothing-matches-this"
# Fixed "random" uuids, so two crawls of the same pages request the same URLs.
RANDOM_UUIDS = ("0b6c1b8e-5f0e-4c1a-9d3e-2a7f4c6e9b10", "f3e2d1c0-b9a8-4765-8432-10fedcba9876")
TAB_NAMES = (
    "overview",
    "interactions",
    "insights",
    "inquiries",
    "follow-ups",
    "followups",
    "safety",
    "audit",
    "history",
    "changelog",
    "notes",
    "timeline",
    "activity",
    "brief",
    "engagement",
    "reports",
)
SEARCH_PARAMS = ("q", "search", "term")
SKIP_PREFIXES = ("/static/", "/logout/", "/media/")
MEDICAL_WEB_PREFIXES = ("/interactions/", "/insights/", "/inquiries/", "/safety/", "/audit/")
MEDICAL_API_RESOURCES = (
    "interactions",
    "insights",
    "inquiries",
    "follow-ups",
    "safety-reports",
    "audit-events",
    "listening-priorities",
)

# An AE phrase placed next to markers, so the detector quotes the marker in the safety report's excerpt too.
AE_PHRASE = "patient developed a severe rash after the second dose"

_CSRF_PATTERNS = (
    re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")'),
    re.compile(r'("X-CSRFToken": ")[^"]+(")'),
    re.compile(r"(&quot;X-CSRFToken&quot;: &quot;)[^&]+(&quot;)"),
    re.compile(r'(<meta name="csrf-token" content=")[^"]+(")'),
)
# The authenticator secret of the second-factor set-up page is drawn afresh for each session (text and QR code).
_SECRET_PATTERNS = (
    re.compile(r'(<code id="mfa-secret"[^>]*>)[^<]+(</code>)'),
    re.compile(r'(<svg[^>]*class="qr"[^>]*>).*?(</svg>)', re.S),
)


# ---------------------------------------------------------------------------------------------- planting


@dataclass
class Planted:
    """The records planted for a crawl, by label, and the users who wrote them."""

    users: dict[str, Any]
    hcp: Any
    records: dict[str, Any] = field(default_factory=dict)
    audit_event_uuids: list[str] = field(default_factory=list)
    # Planted too, but left out of the uuid pool of the crawl (each uuid there costs a request per route):
    # the cohort's insights and one record of every other medical kind.
    cohort: list[Any] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    text_fields: dict[str, int] = field(default_factory=dict)

    def medical_uuids(self) -> dict[str, str]:
        """label -> uuid of every planted medical record (all hidden from the commercial role)."""
        out = {label: str(obj.uuid) for label, obj in self.records.items()}
        for i, u in enumerate(self.audit_event_uuids):
            out[f"audit_event_{i}"] = u
        return out


def make_world(password: str, personas: dict[str, tuple[str, str | None]]) -> tuple[dict[str, Any], Any]:
    """Reference data, one user per persona and one HCP (owned by alice), all through the actions."""
    from liaison.accounts.actions import create_user, save_product, save_team, save_therapeutic_area
    from liaison.core.context import audit_context
    from liaison.people.actions import create_hcp, save_external_person

    with audit_context(actor=None, source="test", reason="test set-up"):
        oncology = save_therapeutic_area(None, acting_user=None, name="Oncology", mesh_tree_numbers=["C04"])
        cardio = save_therapeutic_area(None, acting_user=None, name="Cardiology", mesh_tree_numbers=["C14"])
        teams = {
            "Oncology East": save_team(
                None, acting_user=None, name="Oncology East", therapeutic_area=oncology
            ),
            "Cardio West": save_team(None, acting_user=None, name="Cardio West", therapeutic_area=cardio),
        }
        product = save_product(
            None,
            acting_user=None,
            name="Onkotrex",
            generic_name="onkotrexumab",
            therapeutic_area=oncology,
            approved_indications=["metastatic NSCLC"],
        )
        world: dict[str, Any] = {"oncology": oncology, "cardio": cardio, "product": product, "teams": teams}
        for name, (role, team) in personas.items():
            world[name] = create_user(
                username=name,
                role=role,
                password=password,
                first_name=name.title(),
                last_name="Tester",
                team=teams.get(team) if team else None,
            )
        hcp = create_hcp(
            acting_user=None,
            data={
                "first_name": "Grace",
                "last_name": "Hopkins",
                "credentials": "MD, PhD",
                "npi": "1234567893",
                "city": "Iowa City",
                "state": "IA",
                "owner": world["alice"],
            },
            therapeutic_areas=[oncology],
        )
        # Before any crawl: the commercial user's HCP directory is then the same before and after planting.
        world["cohort"] = [
            create_hcp(
                acting_user=None,
                data={
                    "first_name": first,
                    "last_name": "Cohort",
                    "npi": npi,
                    "city": "Iowa City",
                    "state": "IA",
                    "owner": world["alice"],
                },
                therapeutic_areas=[oncology],
            )
            for first, npi in zip(
                ("Ada", "Ben", "Cleo", "Dev", "Eve", "Finn"),
                ("1000001010", "1000001028", "1000001036", "1000001044", "1000001051", "1000001069"),
                strict=True,
            )
        ][:COHORT_SIZE]
        # A directory entry like the HCPs (not medical), so it exists before any crawl too; the payer-only meeting
        # with them is planted with the medical records.
        world["payer"] = save_external_person(
            None,
            acting_user=None,
            data={"first_name": "Priya", "last_name": "Raman", "role": "payer", "title": "Pharmacy director"},
        )
    return world, hcp


def plant_markers(world: dict[str, Any], hcp: Any) -> Planted:
    """Write a marker into every medical free-text field of every kind of medical record, through the actions.

    Each write runs as the user who would make it in real life: alice logs an interaction (notes, materials,
    topics, an inline insight, a follow-up, AE attested), dave (commercial) captures an inquiry that iris
    (medical information) answers, sam (drug safety) triages the reports, mona reviews an insight, lena adds a
    listening priority, and edits with audit reasons leave markers in the audit trail.
    """
    from liaison.core.context import audit_context
    from liaison.core.models import AuditEvent
    from liaison.engagement.actions import create_follow_up, log_interaction, update_interaction
    from liaison.insights.actions import create_insight, review_insight, save_listening_priority
    from liaison.medinfo.actions import answer_inquiry, capture_inquiry, close_inquiry
    from liaison.safety.actions import raise_manual_report, triage_report
    from liaison.safety.models import SafetyReport

    m = MARKERS
    alice, bob, dave, iris, sam, mona, lena = (
        world[n] for n in ("alice", "bob", "dave", "iris", "sam", "mona", "lena")
    )
    planted = Planted(users=world, hcp=hcp)
    rec = planted.records
    before_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    with audit_context(actor=lena, source="test"):
        rec["listening_priority"] = save_listening_priority(
            None,
            acting_user=lena,
            therapeutic_area=world["oncology"],
            title=m["lp_title"],
            description=m["lp_description"],
        )
    occurred = timezone.now() - dt.timedelta(hours=3)
    with audit_context(actor=alice, source="test"):
        interaction = log_interaction(
            acting_user=alice,
            attendees=[hcp],
            products=[world["product"]],
            data={
                "occurred_at": occurred,
                "channel": "in_person",
                "purpose": "scientific_exchange",
                "ae_attestation": "yes",
                "therapeutic_area": world["oncology"],
                "notes": f"{m['notes']} {AE_PHRASE}.",
                "materials_shared": m["materials"],
                "topics": [m["topic"]],
            },
            insights=[
                {
                    "text": f"{m['insight']} community oncologists wait three weeks for PD-L1 results",
                    "listening_priority": rec["listening_priority"],
                }
            ],
            follow_ups=[{"description": m["followup"], "due_date": timezone.localdate()}],
        )
        rec["interaction"] = interaction
        rec["attendee"] = interaction.attendance.get()
        rec["insight"] = interaction.insights.get()
        rec["follow_up"] = interaction.follow_ups.get()
        rec["standalone_follow_up"] = create_follow_up(
            acting_user=alice, description=m["standalone_followup"], due_date=timezone.localdate(), hcp=hcp
        )
        rec["standalone_insight"] = create_insight(
            acting_user=alice,
            text=f"{m['standalone_insight']} payers ask for real-world data",
            therapeutic_area=world["oncology"],
            hcp=hcp,
            submit=True,
        )
        update_interaction(
            interaction,
            acting_user=alice,
            data={"topics": [m["topic"], "biomarkers"]},
            reason=m["edit_reason"],
        )
    with audit_context(actor=bob, source="test"):
        # Another team's record: hidden from alice by the row policy, and from dave by the matrix.
        rec["other_team_interaction"] = log_interaction(
            acting_user=bob,
            attendees=[hcp],
            data={
                "occurred_at": occurred,
                "channel": "phone",
                "purpose": "scientific_exchange",
                "ae_attestation": "no",
                "therapeutic_area": world["cardio"],
                "notes": m["other_team_notes"],
            },
        )
    with audit_context(actor=alice, source="test"):
        # A meeting with only a payer (an external attendee, no HCP): medical like any interaction. Kept out of
        # the crawl's uuid pool (`extra`); the crawls reach it through the interaction list's links.
        planted.extra["payer_interaction"] = log_interaction(
            acting_user=alice,
            attendees=[],
            external_attendees=[world["payer"]],
            data={
                "occurred_at": occurred,
                "channel": "video",
                "purpose": "insight_gathering",
                "ae_attestation": "no",
                "therapeutic_area": world["oncology"],
                "notes": m["payer_notes"],
            },
        )
    with audit_context(actor=mona, source="test"):
        rec["standalone_insight"] = review_insight(
            rec["standalone_insight"], acting_user=mona, note=m["review_note"]
        )
    with audit_context(actor=dave, source="test"):
        rec["inquiry"] = capture_inquiry(
            acting_user=dave,
            question=f"{m['inquiry_question']} is it safe after an overdose?",
            channel="in_person",
            unsolicited_attested=True,
            requester_hcp=hcp,
            requester_contact=m["inquiry_contact"],
            product=world["product"],
            off_label=True,
        )
    with audit_context(actor=iris, source="test"):
        rec["inquiry"] = answer_inquiry(rec["inquiry"], acting_user=iris, answer=m["answer"])
        rec["inquiry"] = close_inquiry(rec["inquiry"], acting_user=iris, reason=m["close_reason"])
    with audit_context(actor=sam, source="test"):
        for i, report in enumerate(SafetyReport.objects.order_by("pk")):
            rec[f"safety_report_{i}"] = triage_report(
                report,
                acting_user=sam,
                status="in_review",
                note=m["triage"],
                safety_case_id=m["case_id"],
                event_description=m["safety_event"],
                patient_initials="JD",
                patient_age=54,
            )
        rec["manual_safety_report"] = raise_manual_report(
            acting_user=sam,
            day_zero=occurred,
            event_description=f"{m['manual_event']} {AE_PHRASE}",
            suspect_product=world["product"],
        )
    events = AuditEvent.objects.filter(seq__gt=before_seq)
    medical_uuids = {str(o.uuid) for o in rec.values()}
    chosen = [
        str(u) for u in events.filter(object_uuid__in=medical_uuids).values_list("uuid", flat=True)[:12]
    ]
    chosen += [str(u) for u in events.filter(reason__contains=FRAGMENT).values_list("uuid", flat=True)]
    planted.audit_event_uuids = list(dict.fromkeys(chosen))
    plant_cohort(world, planted)
    plant_other_records(world, hcp, planted)
    planted.text_fields = plant_every_text_field(world)
    return planted


def plant_cohort(world: dict[str, Any], planted: Planted) -> None:
    """COHORT_SIZE HCPs heard on one listening priority last month, each insight naming the patient; all reviewed,
    and one released with a rewritten summary. A group the aggregate report is allowed to count and show."""
    from liaison.core.context import audit_context
    from liaison.engagement.actions import log_interaction
    from liaison.insights.actions import release_summary, review_insight, save_listening_priority

    alice, mona, lena = world["alice"], world["mona"], world["lena"]
    # Over a month back: the planted records above fall in this month, and a month column shared with a small
    # group would be hidden to protect it (complementary suppression), summaries and all.
    heard = timezone.now() - dt.timedelta(days=40)
    with audit_context(actor=lena, source="test"):
        priority = save_listening_priority(
            None, acting_user=lena, therapeutic_area=world["oncology"], title=COHORT_PRIORITY
        )
    insights = []
    for member in world["cohort"]:
        with audit_context(actor=alice, source="test"):
            interaction = log_interaction(
                acting_user=alice,
                attendees=[member],
                data={
                    "occurred_at": heard,
                    "channel": "in_person",
                    "purpose": "insight_gathering",
                    "ae_attestation": "no",
                    "therapeutic_area": world["oncology"],
                    "notes": f"{MARKERS['notes']} {PATIENT} asked about biomarker testing.",
                },
                insights=[
                    {
                        "text": f"{MARKERS['cohort_insight']} {PATIENT}, waits three weeks for PD-L1 results.",
                        "listening_priority": priority,
                    }
                ],
            )
        with audit_context(actor=mona, source="test"):
            insights.append(review_insight(interaction.insights.get(), acting_user=mona))
    with audit_context(actor=lena, source="test"):
        release_summary(insights[0], acting_user=lena, summary=RELEASED_SUMMARY)
    planted.cohort = insights


def plant_other_records(world: dict[str, Any], hcp: Any, planted: Planted) -> None:
    """One record of every other medical kind that holds text typed by medical staff, through the actions: HCP
    feedback, an insight rating, a loop theme and action with its outcome, a standing interest, a transfer of
    value and a disclosure consent, a theme decision, and a marketing stakeholder (expectations, feedback, the
    digest it was sent)."""
    from helpers_governance import approve_needs_assessment, contract_participant
    from liaison.core.context import audit_context
    from liaison.engagement.actions import record_hcp_feedback
    from liaison.intel.actions import decide_theme
    from liaison.loop.actions import complete_action, create_action, create_theme, rate_insight
    from liaison.planning.actions import record_standing_interest
    from liaison.programs import actions as programs
    from liaison.programs import portal
    from liaison.programs.actions import congress
    from liaison.stakeholders.actions import record_feedback, save_stakeholder
    from liaison.transparency.actions import record_consent, record_transfer

    m, rec, extra = MARKERS, planted.records, planted.extra
    alice, mona, lena = world["alice"], world["mona"], world["lena"]
    text = lambda key: f"{m[key]} {PATIENT}"  # noqa: E731 - one line per planted field reads best
    today = timezone.localdate()
    with audit_context(actor=alice, source="test"):
        extra["hcp_feedback"] = record_hcp_feedback(
            rec["interaction"],
            acting_user=alice,
            hcp=hcp,
            value=4,
            source="during_meeting",
            received_on=today,
            comment=text("hcp_feedback"),
        )
        extra["standing_interest"] = record_standing_interest(
            acting_user=alice, hcp=hcp, topic=text("standing_interest")
        )
        extra["transfer"] = record_transfer(
            acting_user=alice,
            recipient_hcp=hcp,
            nature="research",
            paid_on=today,
            amount="1200.00",
            currency="USD",
            country="US",
            study_name=text("transfer"),
            nct_id="NCT01234567",
            description=text("transfer"),
            source_kind="study",
            source_label=text("transfer"),
            external_id="crawl-1",
        )
        extra["disclosure_consent"] = record_consent(
            acting_user=alice, hcp=hcp, year=today.year, consented=False, note=text("transfer")
        )
        # An advisory board held yesterday with a participant, staff, minutes, an action item and a document:
        # in the uuid pool, so every event page and API operation is crawled with a real event.
        held = timezone.now() - dt.timedelta(days=1)
        board = programs.create_event(
            acting_user=alice,
            data={
                "kind": "advisory_board",
                "title": text("event_minutes"),
                "starts_at": held,
                "ends_at": held + dt.timedelta(hours=4),
                "therapeutic_area": world["oncology"],
                "venue": text("event_minutes"),
                "objectives": [text("event_minutes")],
            },
        )
        programs.add_staff(board, acting_user=alice, user=mona, role="chair")
        approve_needs_assessment(
            board, compliance=world["carla"], acting=lambda u: audit_context(actor=u, source="test")
        )
        programs.invite_participant(board, acting_user=alice, hcp=hcp, role="advisor", invitation="accepted")
        programs.save_minutes(board, acting_user=alice, minutes=text("event_minutes"))
        programs.add_action_item(board, acting_user=alice, title=text("event_minutes"))
        programs.add_document(board, acting_user=alice, title=text("event_minutes"), reference="DMS-1")
        # Its asynchronous board: a question, the advisor's portal access, an answer and a follow-up.
        question = programs.board.save_board_question(
            board, acting_user=alice, title=text("event_minutes"), body=text("event_minutes")
        )
        access, _ = programs.board.invite_advisor(
            board.participants.get(), acting_user=alice, email="gh@example.org"
        )
        programs.board.accept_portal_terms(
            access, acting_user=access.user, version=portal.CONFIDENTIALITY_VERSION
        )
        programs.board.note_portal_visit(access, acting_user=access.user)
        answer = programs.board.post_to_board(question, acting_user=access.user, text=text("event_minutes"))
        programs.board.post_to_board(question, acting_user=alice, text=text("event_minutes"), parent=answer)
        rec["event"] = board
        contract_participant(
            access.participant,
            compliance=world["carla"],
            acting=lambda u: audit_context(actor=u, source="test"),
        )
        # A congress held yesterday: a session of its programme, a colleague covering it and a note on it.
        meeting = programs.create_event(
            acting_user=alice,
            data={
                "kind": "congress",
                "title": text("event_minutes"),
                "starts_at": held,
                "ends_at": held + dt.timedelta(hours=4),
                "therapeutic_area": world["oncology"],
            },
        )
        quoted = '"' + text("event_minutes").replace('"', '""') + '"'
        start = f"{timezone.localtime(held, meeting.zone):%Y-%m-%d %H:%M}"
        congress.import_sessions(
            meeting,
            acting_user=alice,
            data=f"code,title,start,room,presenters\nS1,{quoted},{start},{quoted},{quoted}\n",
        )
        session = meeting.sessions.get()
        congress.assign_coverage(session, acting_user=alice, user=mona)
        note = text("event_minutes")
        extra["session_note"] = congress.add_session_note(session, acting_user=alice, text=note)
    with audit_context(actor=mona, source="test"):
        insight = rec["standalone_insight"]
        extra["rating"] = rate_insight(
            insight, acting_user=mona, specific=4, actionable=4, new=True, note=text("rating_note")
        )
        extra["theme_feedback"] = decide_theme(
            insight, acting_user=mona, priority=None, note=text("theme_feedback")
        )
        theme = create_theme(
            acting_user=mona,
            name=m["loop_theme"],
            therapeutic_area=world["oncology"],
            description=text("loop_theme"),
            insights=[insight],
        )
        action = create_action(
            theme,
            acting_user=mona,
            title=m["loop_action"],
            description=text("loop_action"),
            owner_function="HEOR",
            due_date=today + dt.timedelta(days=30),
        )
        extra["loop_theme"], extra["loop_action"] = (
            theme,
            complete_action(action, acting_user=mona, outcome=text("loop_outcome")),
        )
    with audit_context(actor=lena, source="test"):
        marketing = save_stakeholder(
            None,
            acting_user=lena,
            name="Brand team",
            function="marketing",
            owner=lena,
            email="brand@example.org",
            expectations=text("stakeholder_expectations"),
            therapeutic_areas=[world["oncology"]],
        )
        extra["marketing_feedback"] = record_feedback(
            marketing, acting_user=lena, verdict="used", comment=text("stakeholder_feedback")
        )
        extra["marketing"] = marketing


# ---------------------------------------------------------------------------------------------- every text field

# Medical models: those of these apps whose resource the commercial role may not view. The other apps hold no text
# written by medical staff about HCPs or patients: accounts and people are reference data commercial may see, kol
# is public evidence, compliance is the audit trail (planted through the audit reasons above).
MEDICAL_APPS = (
    "engagement",
    "insights",
    "medinfo",
    "safety",
    "loop",
    "planning",
    "intel",
    "stakeholders",
    "transparency",
    "programs",
)
# Text fields of medical models that are not free text typed by medical staff, or that are meant to reach
# commercial users: each with the reason. Every other TextField and CharField (without choices) is planted.
NOT_PLANTED = {
    "programs.Event.time_zone": "an IANA time-zone name, checked against the zone database by the action",
    "programs.Event.currency": "an ISO 4217 code, checked by the action",
    "programs.PortalAccess.token_hash": "the SHA-256 of a portal link, written by the app",
    "programs.PortalAccess.code_hash": "the SHA-256 of a sign-in code, written by the app",
    "programs.PortalAccess.consent_version": "the version of the portal's terms, written by the app",
    "programs.FmvRate.currency": "an ISO 4217 code, checked by the action",
    "programs.FmvCap.currency": "an ISO 4217 code, checked by the action",
    "programs.AdvisorContract.currency": "an ISO 4217 code, checked by the action",
    "programs.AdvisorContract.honorarium_basis": "how the honorarium was computed, written by the app",
    "insights.ListeningPriority.title": "the theme label of the aggregate report (a company question), by design",
    "insights.Insight.released_summary": "what a reviewer released for commercial; planted with RELEASED_SUMMARY",
    "safety.SafetyReport.source_field": "the name of the screened field, written by the app",
    "safety.SafetyReport.source_kind": "the kind of record screened (event_minutes ...), written by the app",
    "safety.SafetyReport.detector_layer": "the name of the detector layer, written by the app",
    "safety.SafetyOutbox.idempotency_key": "a key written by the app",
    "safety.SafetyOutbox.channel": "a delivery channel name, from settings",
    "safety.SafetyOutbox.case_id": "the case id the safety database answered with, written by the worker",
    "safety.SafetyOutbox.last_error": "the delivery error, written by the worker",
    "stakeholders.DigestDelivery.error": "the e-mail error, written by the app",
    "loop.Notification.link": "a URL written by the app",
    "loop.Theme.seed": "where the theme came from, written by the app",
    "stakeholders.Stakeholder.name": "the recipient's own name (a colleague or a team mailbox)",
    "stakeholders.Stakeholder.email": "the recipient's own address",
    "stakeholders.DigestDelivery.recipient": "the recipient's own address",
    "stakeholders.DigestDelivery.subject": "built by the app from the recipient's name and the period",
    "planning.InterestReminder.source": "a public source name, written by the reminder job",
    "planning.InterestReminder.source_key": "a public record id, written by the reminder job",
    "planning.InterestReminder.source_title": "a public publication title, written by the reminder job",
    "intel.TextEmbedding.model_version": "derived, written by the app",
    "intel.TextEmbedding.text_hash": "derived, written by the app",
}


def medical_text_fields() -> list[tuple[Any, Any]]:
    """(model, field) for every free-text field of every medical model, found from the models themselves, so a
    field added tomorrow is planted (and must stay hidden from commercial) without anyone listing it here."""
    from django.apps import apps
    from django.db import models

    from liaison.core.permissions import role_can
    from liaison.core.roles import Role

    out = []
    for model in apps.get_models():
        if model._meta.app_label not in MEDICAL_APPS:
            continue
        resource = getattr(model, "permission_resource", None)
        if resource is not None and role_can(Role.COMMERCIAL, resource, "view"):
            continue
        for f in model._meta.concrete_fields:
            if not isinstance(f, models.CharField | models.TextField) or f.choices or f.primary_key:
                continue
            if isinstance(f, models.EmailField | models.SlugField | models.URLField) and (
                f"{model._meta.label}.{f.name}" not in NOT_PLANTED
            ):
                continue
            if f"{model._meta.label}.{f.name}" in NOT_PLANTED:
                continue
            out.append((model, f))
    return out


def plant_every_text_field(world: dict[str, Any]) -> dict[str, int]:
    """Put the patient text and a marker naming the field into every free-text field of every medical record that
    does not hold a marker yet (the actions above planted the fields they know; this reaches the rest, including
    fields added later). Written as a bulk update, which the audit trail records like any change.

    Returns {"app.Model.field": rows planted} for every field found (0 when the model has no row to plant in).
    """
    from liaison.core.context import audit_context

    planted: dict[str, int] = {}
    with audit_context(actor=None, source="test", reason="firewall test: plant every text field"):
        for model, f in medical_text_fields():
            label = f"{model._meta.label}.{f.name}"
            marker = f"MARKER-FIELD-{model.__name__}-{f.name}"
            planted[label] = 0
            for pk, value in model._base_manager.values_list("pk", f.name):
                value = value or ""
                if PATIENT in value:
                    planted[label] += 1
                    continue
                new = f"{value} {PATIENT}" if FRAGMENT in value else f"{marker} {PATIENT}"
                if f.max_length:
                    new = new[: f.max_length]
                model._base_manager.filter(pk=pk).update(**{f.name: new})
                planted[label] += 1
    return planted


# ---------------------------------------------------------------------------------------------- URL map


@dataclass(frozen=True)
class Route:
    """One URL pattern of the resolver, as a route string with typed slots: ("hcps/<uuid:uuid>/", ...)."""

    route: str
    name: str
    slots: tuple[tuple[str, str], ...]  # (slot name, converter kind: uuid|int|str|slug|path|regex)


_SLOT = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _pattern_text(pattern: Any) -> str:
    return str(pattern.pattern)


def _regex_to_route(regex: str) -> str:
    """A simple regex pattern as a route string; named groups become <regex:name> slots."""
    text = regex.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/").replace("\\.", ".")
    return _REGEX_GROUP.sub(lambda mo: f"<regex:{mo.group('name')}>", text)


def iter_routes(
    patterns: Iterable[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    """Every URL pattern of the project, flattened, with its full route and its slots."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        text = _pattern_text(p)
        if text.startswith("^") or "(?P<" in text:
            text = _regex_to_route(text)
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            yield from iter_routes(p.url_patterns, prefix + text, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(p, URLPattern):
            full = prefix + text
            slots = tuple((mo.group("name"), mo.group("conv") or "str") for mo in _SLOT.finditer(full))
            yield Route(route=full, name=f"{namespace}{p.name or ''}", slots=slots)


def fill_route(
    route: Route, values: dict[str, list[str]], cap: int = 400
) -> list[tuple[str, dict[str, str]]]:
    """Concrete paths for a route: every combination of candidate values per slot kind (capped)."""
    choices = [values.get(kind, values["str"]) for _, kind in route.slots]
    out = []
    for combo in itertools.islice(itertools.product(*choices), cap):
        it = iter(combo)
        filled = {}

        def sub(mo: re.Match[str], it: Iterator[str] = it, filled: dict[str, str] = filled) -> str:
            value = next(it)
            filled[mo.group("name")] = value
            return value

        out.append(("/" + _SLOT.sub(sub, route.route), filled))
    return out


# ---------------------------------------------------------------------------------------------- crawling


class _LinkParser(HTMLParser):
    """Collects every in-page URL a user or htmx could request with GET."""

    ATTRS = ("href", "hx-get", "data-href", "data-url", "src")

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in self.ATTRS:
            if a.get(name):
                self.links.append(a[name] or "")
        if tag == "form" and (a.get("method") or "get").lower() == "get":
            self.links.append(a.get("action") or "")


def extract_links(base_url: str, html: str) -> list[str]:
    """Same-site, GET-able URLs found in an HTML page (anchors, htmx hx-get, GET forms)."""
    parser = _LinkParser()
    # A malformed page still yields the links found before the parser gave up.
    with contextlib.suppress(Exception):
        parser.feed(html)
    out = []
    for raw in parser.links:
        raw = raw.strip()
        if not raw or raw.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            continue
        url = urljoin(base_url, raw)
        parts = urlsplit(url)
        if parts.netloc and parts.netloc not in ("testserver", "localhost", "127.0.0.1"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith(SKIP_PREFIXES):
            continue
        out.append(path)
    return out


def echoes_of(url: str, extra: Iterable[str] = ()) -> list[str]:
    """Values this request itself sent (query string, form fields): a page may echo them back."""
    values = [v for _, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)] + list(extra)
    return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)


_NOW_INPUT = re.compile(r'value="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?"')
_VOLATILE_HEADERS = re.compile(
    r"^(X-Request-ID|Set-Cookie|Date|Expires|Last-Modified|ETag|Content-Length): .*$", re.M | re.I
)


def normalise(body: str, *, echoes: Iterable[str] = (), uuids: Iterable[str] = ()) -> str:
    """A response body with what legitimately varies between two requests blanked out: CSRF tokens (masked
    afresh per response), per-request headers, the request's own query values, and the uuid it asked for."""
    body = _VOLATILE_HEADERS.sub(r"\1: <volatile>", body)
    # Date-time inputs default to "now" to the minute, which moves between two crawls.
    body = _NOW_INPUT.sub('value="<now>"', body)
    for pattern in _CSRF_PATTERNS:
        body = pattern.sub(r"\1<csrf>\2", body)
    for pattern in _SECRET_PATTERNS:
        body = pattern.sub(r"\1<secret>\2", body)
    for value in echoes:
        body = body.replace(value, "<echo>")
        for variant in (urlencode({"": value})[1:], json.dumps(value)[1:-1]):
            body = body.replace(variant, "<echo>")
    for u in uuids:
        body = body.replace(u, "<uuid>")
    return body


@dataclass
class Hit:
    """One response: what was asked, what came back, and which markers (if any) it showed."""

    method: str
    url: str
    status: int
    body: str
    markers: list[str]
    fragment: bool
    error: str = ""
    variant: str = ""

    def short(self) -> str:
        shown = ", ".join(self.markers) or ("fragment " + FRAGMENT if self.fragment else "")
        return (
            f"{self.method} {self.url}{' [' + self.variant + ']' if self.variant else ''} -> {self.status}"
            + (f" shows {shown}" if shown else "")
            + (f" raised {self.error}" if self.error else "")
        )


def scan(text: str, echoes: Iterable[str]) -> tuple[list[str], bool]:
    """The full markers in `text`, and whether the bare fragment appears once the request's echoes are removed."""
    found = [name for name, marker in MARKERS.items() if marker in text]
    stripped = text
    for value in echoes:
        stripped = stripped.replace(value, "")
        stripped = stripped.replace(urlencode({"": value})[1:], "")
    return found, FRAGMENT in stripped


class Crawler:
    """Requests pages with a Django test client, records every response, and follows links breadth-first."""

    def __init__(self, client: Any, *, headers: dict[str, str] | None = None, limit: int = 6000) -> None:
        self.client = client
        self.headers = headers or {}
        self.limit = limit
        self.hits: dict[tuple[str, str, str], Hit] = {}
        self.queue: deque[tuple[str, str]] = deque()

    # requesting -----------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        variant: str = "",
        data: Any = None,
        content_type: str | None = None,
        extra_echoes: Iterable[str] = (),
    ) -> Hit:
        """One request, recorded; exceptions raised by views are caught and recorded as 500s."""
        key = (
            method,
            url,
            variant + (json.dumps(data, sort_keys=True, default=str) if data is not None else ""),
        )
        if key in self.hits:
            return self.hits[key]
        headers = dict(self.headers)
        if variant == "htmx":
            headers.update(
                {"HX-Request": "true", "HX-Target": "main", "HX-Current-URL": "http://testserver/"}
            )
        kwargs: dict[str, Any] = {"headers": headers}
        if data is not None:
            kwargs["data"] = data
            if content_type:
                kwargs["content_type"] = content_type
        error = ""
        try:
            response = getattr(self.client, method.lower())(url, **kwargs)
            status = response.status_code
            raw = (
                b"".join(response.streaming_content)
                if getattr(response, "streaming", False)
                else response.content
            )
            header_text = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            body = header_text + "\n\n" + raw.decode("utf-8", errors="replace")
        except Exception as exc:  # noqa: BLE001 - a crash is a finding, not the end of the crawl
            status, body, error = 500, "", f"{type(exc).__name__}: {exc}"[:300]
        echoes = echoes_of(url, extra_echoes)
        markers, fragment = scan(body, echoes)
        hit = Hit(method, url, status, body, markers, fragment, error, variant)
        self.hits[key] = hit
        return hit

    def get(self, url: str, variant: str = "") -> Hit:
        return self.request("GET", url, variant=variant)

    # breadth-first -----------------------------------------------------------------------------------------
    def add(self, url: str, variant: str = "") -> None:
        if not url.startswith(SKIP_PREFIXES) and ("GET", url, variant) not in self.hits:
            self.queue.append((url, variant))

    def run(self, follow: bool = True) -> None:
        """Drain the queue, following links from every HTML page (and redirects) within the site."""
        while self.queue and len(self.hits) < self.limit:
            url, variant = self.queue.popleft()
            if ("GET", url, variant) in self.hits:
                continue
            hit = self.get(url, variant)
            if not follow:
                continue
            location = re.search(r"^Location: (.+)$", hit.body, re.M) if 300 <= hit.status < 400 else None
            if location:
                target = urlsplit(urljoin("http://testserver" + url, location.group(1).strip()))
                if target.netloc in ("", "testserver"):
                    self.add(target.path + (f"?{target.query}" if target.query else ""))
            if "text/html" in hit.body[:2000] or "<a " in hit.body:
                for link in extract_links("http://testserver" + url, hit.body):
                    if not link.startswith("/api/"):
                        self.add(link)

    # reporting -------------------------------------------------------------------------------------------------
    def all_hits(self) -> list[Hit]:
        return list(self.hits.values())

    def leaks(self) -> list[Hit]:
        return [h for h in self.hits.values() if h.markers or h.fragment]

    def server_errors(self) -> list[Hit]:
        return [h for h in self.hits.values() if h.status >= 500]

    def found_markers(self) -> set[str]:
        return {name for h in self.hits.values() for name in h.markers}


def web_seed_urls(
    routes: list[Route], uuid_values: list[str]
) -> tuple[list[str], list[tuple[Route, str, dict]]]:
    """Start points for a web crawl: every parameter-free page (plain and with search, tab and filter
    variants), and every page with slots filled from the given uuids. Returns (plain urls, filled urls)."""
    values = {
        "uuid": uuid_values,
        "int": ["1"],
        "str": ["overview", "x"],
        "slug": ["overview", "x"],
        "path": ["x"],
        "regex": ["x"],
    }
    plain, filled = [], []
    for route in routes:
        if route.route.startswith(("api/", "static/")) or "/static/" in route.route:
            continue
        if not route.slots:
            path = "/" + route.route
            if path.startswith(SKIP_PREFIXES):
                continue
            plain.append(path)
            plain.extend(f"{path}?{p}={frag}" for p in SEARCH_PARAMS for frag in SEARCH_FRAGMENTS)
            plain.extend(f"{path}?{p}={NO_MATCH}" for p in SEARCH_PARAMS)
            plain.extend(f"{path}?tab={t}" for t in TAB_NAMES)
            plain.extend(
                f"{path}?{q}"
                for q in (
                    "status=all",
                    "page=2",
                    "format=csv",
                    "export=csv",
                    "format=json",
                    "mine=1",
                    "overdue=1",
                )
            )
        else:
            for path, slots in fill_route(route, values):
                filled.append((route, path, slots))
    return plain, filled


def first_difference(a: str, b: str, context: int = 3) -> str:
    """The first few differing lines of two bodies, as a unified diff (for failure messages)."""
    import difflib

    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=context))
    return "\n".join(lines[2:20])


def random_uuid() -> str:
    return str(uuidlib.uuid4())
