"""The demo's events (called near the end of the demo load: liaison.demo.workflows).

In the first therapeutic area that has MSLs and enough HCPs: a live advisory board held ten days ago and
completed (seven HCP advisors, a payer and a patient advocate, one walk-in, minutes, five insights tagged to it,
action items, the report shared), a congress held last week (programme, coverage plan, notes and report sent:
programs/demo_congress.py), a webinar, a round table with payers and pharmacists,
and a site visit, all through programs.actions.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.utils import timezone

from liaison.people.actions import save_external_person, save_organization
from liaison.people.models import ExternalPerson, Organization

from . import actions, demo_governance, portal
from .demo_congress import load_congress_demo

BOARD_INSIGHTS = (
    "Advisors agreed that in community practice biomarker results take two to three weeks to come back, so "
    "the choice of therapy is made later than it could be.",
    "Community sites want a single reflex-testing order set; today each pathologist decides which panel to run.",
    "The payer advisor said regional formularies will ask for real-world time-on-treatment data before a "
    "second-line listing.",
    "The patient advocate reported that patients rarely understand why they wait for a test result before "
    "starting treatment; a plain-language explainer would help.",
    "Two advisors asked for guidance on managing treatment in patients over 75, where trial data are thin.",
)
BOARD_MINUTES = (
    "Welcome and objectives (chair). The board reviewed the current testing pathway in community centres and "
    "where time is lost between biopsy and result.\n\n"
    "Session 1: advisors described testing ordered at diagnosis at their sites; three of seven have a standing "
    "order.\n"
    "Session 2: evidence needs for payers: real-world time-on-treatment and resource-use data.\n"
    "Session 3: the patient perspective: waiting for results is what patients find hardest.\n\n"
    "Agreed: medical affairs to draft a testing pathway summary and share it with the advisors; the "
    "HEOR team to scope a real-world evidence study."
)
AGENDA = [
    {"time": "09:00", "title": "Welcome, objectives and compliance briefing", "speaker": "Chair"},
    {"time": "09:30", "title": "Biomarker testing in community practice", "speaker": "Advisors"},
    {"time": "11:00", "title": "What payers need to see", "speaker": "Payer advisor"},
    {"time": "13:30", "title": "The patient perspective", "speaker": "Patient advocate"},
    {"time": "15:00", "title": "Recommendations and close", "speaker": "Chair"},
]


def _org(name: str, kind: str, city: str, country: str) -> Organization:
    found = Organization.objects.filter(name__iexact=name, city__iexact=city, country__iexact=country).first()
    return found or save_organization(
        None, acting_user=None, data={"name": name, "kind": kind, "city": city, "country": country}
    )


def _external(first: str, last: str, role: str, org: Organization | None, title: str = "") -> ExternalPerson:
    found = ExternalPerson.objects.filter(first_name=first, last_name=last).first()
    return found or save_external_person(
        None,
        acting_user=None,
        data={"first_name": first, "last_name": last, "role": role, "organization": org, "title": title},
    )


def _at(day: dt.date, hour: int, zone: str = "Europe/Berlin") -> dt.datetime:
    """A wall-clock time in the event's own zone."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(zone))


def load_programs_demo(
    *,
    acting: Callable[[Any], AbstractContextManager[Any]],
    msls: dict[str, list[Any]],
    hcps: dict[str, list[Any]],
    priorities: dict[str, list[tuple[Any, list[str]]]],
    areas: dict[str, Any],
    today: dt.date | None = None,
) -> dict[str, int]:
    """Create the demo's events; returns counts for the summary."""
    today = today or timezone.localdate()
    counts = {"events": 0, "participants": 0, "insights": 0}
    # The events' content is oncology (a lung-cancer board, an oncology congress programme): Oncology's team runs
    # them when the demo has it, else the first area with enough HCPs.
    usable = [a for a in sorted(msls) if msls[a] and len(hcps.get(a, [])) >= 8]
    area_name = "Oncology" if "Oncology" in usable else next(iter(usable), None)
    if area_name is None:
        return counts
    area, owner = areas[area_name], msls[area_name][0]
    colleague = msls[area_name][1] if len(msls[area_name]) > 1 else owner
    people = hcps[area_name]
    area_priorities = [p for p, _ in priorities.get(area_name, [])][:2]
    with acting(None):
        payer_org = _org("Rhineland Regional Health Fund", "payer", "Cologne", "Germany")
        advocacy = _org("Lung Cancer Patients Alliance", "society", "Berlin", "Germany")
        pharmacy = _org("University Hospital Pharmacy", "hospital", "Munich", "Germany")
        payer = _external("Katrin", "Vogel", "payer", payer_org, "Head of Oncology Formulary")
        advocate = _external("Jonas", "Brandt", "patient_advocate", advocacy, "Policy Lead")
        economist = _external("Eleni", "Papadopoulou", "health_economist", payer_org, "Health Economist")
        pharmacists = [
            _external("Hanako", "Yamada", "pharmacist", pharmacy, "Oncology Pharmacist"),
            _external("Marek", "Nowak", "pharmacist", pharmacy, "Clinical Pharmacist"),
        ]
    with acting(owner):
        board_day = today - dt.timedelta(days=10)
        board = actions.create_event(
            acting_user=owner,
            data={
                "kind": "advisory_board",
                "title": f"{area.name} advisory board: biomarker testing in community practice",
                "starts_at": _at(board_day, 9),
                "ends_at": _at(board_day, 16),
                "time_zone": "Europe/Berlin",
                "venue": "Hotel Adlon, Salon Schinkel",
                "city": "Berlin",
                "country": "Germany",
                "therapeutic_area": area,
                "objectives": [
                    "Understand where time is lost between biopsy and biomarker result",
                    "Learn what evidence payers need for a second-line listing",
                    "Hear the patient perspective on waiting for results",
                ],
                "agenda": AGENDA,
                "budget": "48500.00",
                "currency": "EUR",
            },
            listening_priorities=area_priorities,
        )
        actions.add_staff(board, acting_user=owner, user=owner, role="organiser")
        actions.add_staff(board, acting_user=owner, user=colleague, role="note_taker")
        actions.add_document(
            board,
            acting_user=owner,
            kind="briefing",
            title="Advisor briefing book",
            reference="DMS-ADB-2026-014",
        )
        advisors = people[:7]
        demo_governance.approve_assessment(
            board, acting=acting, owner=owner, candidates=advisors, questions=list(board.objectives)
        )
        for hcp in advisors:
            actions.invite_participant(
                board, acting_user=owner, hcp=hcp, role="advisor", invitation="accepted"
            )
        for person in (payer, advocate):
            actions.invite_participant(
                board, acting_user=owner, external_person=person, role="advisor", invitation="accepted"
            )
        demo_governance.contract_advisors(board, acting=acting, owner=owner, today=today)
        actions.change_status(board, acting_user=owner, status="confirmed")
        for participant in board.participants.all():
            attended = participant.hcp_id != advisors[-1].pk
            actions.confirm_attendance(
                participant, acting_user=owner, attendance="attended" if attended else "no_show"
            )
        actions.add_walk_in(board, acting_user=owner, external_person=economist, role="attendee")
        actions.save_minutes(board, acting_user=owner, minutes=BOARD_MINUTES)
        for i, text in enumerate(BOARD_INSIGHTS):
            actions.capture_insight(
                board,
                acting_user=owner,
                text=text,
                listening_priority=area_priorities[i % len(area_priorities)] if area_priorities else None,
                hcp=advisors[i] if i < 2 or i == 4 else None,
            )
        for title, days, who in (
            ("Draft the reflex-testing pathway summary and share it with the advisors", 21, owner),
            ("Scope a real-world time-on-treatment study with HEOR", 45, colleague),
            ("Send the advisors the signed minutes", 7, owner),
        ):
            actions.add_action_item(
                board, acting_user=owner, title=title, owner=who, due_date=board_day + dt.timedelta(days=days)
            )
        item = board.action_items.order_by("due_date").first()
        if item is not None:
            actions.complete_action_item(item, acting_user=owner)
        actions.change_status(board, acting_user=owner, status="completed")
        demo_governance.pay_honoraria(board, acting=acting)
        actions.mark_report_shared(board, acting_user=owner)
        counts["insights"] += len(BOARD_INSIGHTS)

        # Held last week, so that its report (due five days after the end) went out on time.
        congress_day = today - dt.timedelta(days=7)
        congress = actions.create_event(
            acting_user=owner,
            data={
                "kind": "congress",
                "title": f"European {area.name} Congress 2026",
                "starts_at": _at(congress_day, 8, "Europe/Madrid"),
                "ends_at": _at(congress_day + dt.timedelta(days=3), 18, "Europe/Madrid"),
                "time_zone": "Europe/Madrid",
                "venue": "Fira Gran Via",
                "city": "Barcelona",
                "country": "Spain",
                "therapeutic_area": area,
                "objectives": ["Cover the late-breaking biomarker sessions", "Meet tier-1 KOLs presenting"],
            },
            listening_priorities=area_priorities,
        )
        actions.add_staff(congress, acting_user=owner, user=owner, role="organiser")
        actions.add_staff(congress, acting_user=owner, user=colleague, role="presenter")
        actions.change_status(congress, acting_user=owner, status="confirmed")
        congress_counts = load_congress_demo(
            congress, acting=acting, owner=owner, msls=msls[area_name], priorities=area_priorities
        )
        counts["sessions"] = congress_counts["sessions"]
        counts["insights"] += congress_counts["insights"]

        webinar_day = today + dt.timedelta(days=10)
        webinar = actions.create_event(
            acting_user=owner,
            data={
                "kind": "webinar",
                "title": "Reflex biomarker testing: a practical webinar for community oncologists",
                "starts_at": _at(webinar_day, 18),
                "ends_at": _at(webinar_day, 19),
                "time_zone": "Europe/Berlin",
                "virtual": True,
                "virtual_link": "https://meet.example.org/liaison-webinar-reflex-testing",
                "therapeutic_area": area,
                "objectives": ["Explain reflex testing order sets"],
                "agenda": [{"time": "18:00", "title": "Reflex testing in practice", "speaker": "Faculty"}],
            },
        )
        for hcp in people[7:9]:
            actions.invite_participant(webinar, acting_user=owner, hcp=hcp, role="faculty")
        for hcp in people[9:14]:
            actions.invite_participant(webinar, acting_user=owner, hcp=hcp, role="attendee")

        round_day = today + dt.timedelta(days=35)
        round_table = actions.create_event(
            acting_user=owner,
            data={
                "kind": "round_table",
                "title": "Round table: access to biomarker testing with payers and pharmacists",
                "starts_at": _at(round_day, 14),
                "ends_at": _at(round_day, 17),
                "time_zone": "Europe/Berlin",
                "venue": "Liaison Medical Office",
                "city": "Munich",
                "country": "Germany",
                "therapeutic_area": area,
                "objectives": ["Understand formulary and hospital-pharmacy views on testing pathways"],
                "budget": "6200.00",
                "currency": "EUR",
            },
            listening_priorities=area_priorities[:1],
        )
        actions.add_staff(round_table, acting_user=owner, user=owner, role="moderator")
        for person in (payer, economist, *pharmacists):
            actions.invite_participant(
                round_table, acting_user=owner, external_person=person, role="attendee", invitation="accepted"
            )
        actions.invite_participant(round_table, acting_user=owner, hcp=people[0], role="speaker")

    visit_day = today + dt.timedelta(days=14)
    with acting(colleague):
        visit = actions.create_event(
            acting_user=colleague,
            data={
                "kind": "site_visit",
                "title": f"Site visit: {people[1].full_name}'s department",
                "starts_at": _at(visit_day, 10),
                "ends_at": _at(visit_day, 12),
                "time_zone": "Europe/Berlin",
                "city": people[1].city,
                "country": people[1].country,
                "therapeutic_area": area,
                "objectives": ["Review the department's testing workflow"],
            },
        )
        actions.invite_participant(visit, acting_user=colleague, hcp=people[1], invitation="accepted")
    async_board = load_async_board_demo(
        acting=acting, owner=owner, moderator=colleague, area=area, people=people
    )
    counts["events"] = 6
    counts["participants"] = sum(
        e.participants.count() for e in (board, congress, webinar, round_table, visit, async_board)
    )
    return counts


ASYNC_QUESTIONS = (
    (
        "Where does biomarker testing stall in your practice?",
        "Think of your last ten patients with a new diagnosis: at which step did the result wait longest?",
    ),
    (
        "Would a reflex-testing order set work at your site?",
        "Who would have to agree to it, and what would they need to see first?",
    ),
    ("Which patients over 75 would you treat, and how?", "Where do you miss trial data most?"),
    ("What should the plain-language explainer for patients say?", "One or two sentences are enough."),
)
# (advisor index, question index, answer)
ASYNC_ANSWERS = (
    (
        0,
        0,
        "Tissue goes to the reference lab by courier twice a week; that alone costs us four to five days.",
    ),
    (
        1,
        0,
        "Our pathologists wait for the oncologist's request before they run any panel, so the clock starts late.",
    ),
    (0, 1, "Yes, if the tumour board owns it. The pathologists would want the panel fixed for two years."),
    (1, 1, "Only with the pathology lead on board; a one-page cost comparison would help."),
    (2, 0, "Most delays in our network are re-biopsies after insufficient tissue, about one patient in six."),
)


def load_async_board_demo(
    *,
    acting: Callable[[Any], AbstractContextManager[Any]],
    owner: Any,
    moderator: Any,
    area: Any,
    people: list[Any],
    today: dt.date | None = None,
) -> Any:
    """An asynchronous advisory board in progress: opened five days ago, three HCP advisors invited to the
    portal, questions opened over the last days (one still to open), answers, a moderator follow-up and time
    spent. The advisors' portal links are not kept: `liaison programs portal-link EMAIL` prints a fresh one."""
    today = today or timezone.localdate()
    now = timezone.now()
    start = today - dt.timedelta(days=5)
    with acting(owner):
        board = actions.create_event(
            acting_user=owner,
            data={
                "kind": "advisory_board",
                "title": f"{area.name} asynchronous advisory board: testing pathways",
                "starts_at": _at(start, 9),
                "ends_at": _at(today + dt.timedelta(days=9), 18),
                "time_zone": "Europe/Berlin",
                "virtual": True,
                "therapeutic_area": area,
                "objectives": ["Hear from community oncologists where testing stalls, over two weeks online"],
            },
        )
        actions.add_staff(board, acting_user=owner, user=owner, role="organiser")
        actions.add_staff(board, acting_user=owner, user=moderator, role="moderator")
        questions = [
            actions.board.save_board_question(
                board,
                acting_user=owner,
                title=title,
                body=body,
                order=i + 1,
                opens_at=_at(start + dt.timedelta(days=2 * i), 9),
            )
            for i, (title, body) in enumerate(ASYNC_QUESTIONS)
        ]
        demo_governance.approve_assessment(
            board, acting=acting, owner=owner, candidates=people[2:5], questions=[q.title for q in questions]
        )
        accesses = []
        for hcp in people[2:5]:
            participant = actions.invite_participant(
                board, acting_user=owner, hcp=hcp, role="advisor", invitation="accepted"
            )
            email = hcp.email or f"{hcp.first_name}.{hcp.last_name}@example.org".lower().replace(" ", "")
            accesses.append(actions.board.invite_advisor(participant, acting_user=owner, email=email)[0])
        actions.change_status(board, acting_user=owner, status="confirmed")
    for days_ago, access in enumerate(accesses):
        with acting(access.user):
            entered = now - dt.timedelta(days=4 - days_ago, hours=3)
            actions.board.accept_portal_terms(
                access, acting_user=access.user, version=portal.CONFIDENTIALITY_VERSION, now=entered
            )
            for minutes in (
                0,
                1,
                2,
                3,
                5,
                7,
                8,
                9,
                11,
                12,
            ):  # a quarter of an hour, heartbeats every minute or two
                actions.board.note_portal_visit(
                    access, acting_user=access.user, now=entered + dt.timedelta(minutes=minutes)
                )
    posts = {}
    for who, which, text in ASYNC_ANSWERS:
        access = accesses[who]
        with acting(access.user):
            posts[(who, which)] = actions.board.post_to_board(
                questions[which], acting_user=access.user, text=text
            )
    with acting(moderator):
        actions.board.post_to_board(
            questions[0],
            acting_user=moderator,
            text="Thank you. Would a courier every day fix most of it, or is the reference lab itself the bottleneck?",
            parent=posts[(0, 0)],
        )
    return board
