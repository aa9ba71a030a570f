"""The demo's events: a completed advisory board with its outputs, and upcoming events of every other kind."""

from __future__ import annotations

from django.utils import timezone

from liaison.programs.congress_queries import congress_report, report_due_label
from liaison.programs.demo import load_programs_demo
from liaison.programs.models import AdvisorContract, CoverageAssignment, Event, EventStatus, SessionNote
from liaison.safety.models import SafetyReport
from liaison.transparency.models import TransferOfValue


def test_it_loads_a_completed_board_with_outputs_and_upcoming_events(world, acting, system_context):
    from liaison.people.actions import create_hcp

    hcps = [
        create_hcp(
            acting_user=None,
            data={
                "first_name": f"Advisor{i}",
                "last_name": f"Demo{i}",
                "city": "Berlin",
                "country": "Germany",
            },
            therapeutic_areas=[world["oncology"]],
        )
        for i in range(14)
    ]
    counts = load_programs_demo(
        acting=acting,
        msls={"Oncology": [world["alice"], world["mona"]]},
        hcps={"Oncology": hcps},
        priorities={"Oncology": [(world["priority"], [])]},
        areas={"Oncology": world["oncology"]},
    )
    assert counts["events"] == 6
    board = Event.objects.get(kind="advisory_board", status=EventStatus.COMPLETED)
    assert board.status == EventStatus.COMPLETED and board.report_shared_at is not None
    assert board.participants.filter(hcp__isnull=False).count() == 7
    assert {p.external_person.role for p in board.participants.filter(external_person__isnull=False)} == {
        "payer",
        "patient_advocate",
        "health_economist",
    }
    assert board.event_insights.count() == 5 and board.minutes and board.action_items.count() == 3
    assert set(Event.objects.exclude(pk=board.pk).values_list("kind", flat=True)) == {
        "advisory_board",
        "congress",
        "webinar",
        "round_table",
        "site_visit",
    }
    # Governance: an approved needs assessment, a contract per HCP advisor (one overridden by compliance), and
    # the honoraria of those who attended in the ledger; the no-show is not paid.
    assert board.needs_assessment.status == "approved" and len(board.needs_assessment.candidates) == 7
    contracts = list(AdvisorContract.objects.filter(participant__event=board))
    assert len(contracts) == 7 and sorted(c.status for c in contracts) == ["active"] + ["paid"] * 6
    [overridden] = [c for c in contracts if c.override_at]
    assert overridden.override_by.role == "compliance" and overridden.problems and overridden.status == "paid"
    assert TransferOfValue.objects.filter(source_kind="contract", nature="honorarium").count() == 6
    # The demo's insight texts are clean: none raises a safety report.
    flagged = SafetyReport.objects.filter(insight__event_link__event=board)
    assert not flagged.exists(), [(r.excerpt, r.detected_terms, r.detector_layer) for r in flagged]
    # The congress, held last week: its programme, coverage plan, notes and insights, the report sent on time.
    congress = Event.objects.get(kind="congress")
    assert congress.status == EventStatus.COMPLETED and counts["sessions"] == 40
    assert congress.sessions.count() == 40 and congress.ends_at < timezone.now()
    assert congress.report_due_days == 5 and len(congress.report_recipients) == 3
    assert congress.report_shared_at is not None and report_due_label(congress).startswith("report sent")
    assert CoverageAssignment.objects.filter(session__event=congress, covered_at__isnull=False).count() == 15
    assert SessionNote.objects.filter(session__event=congress).count() == 15
    assert congress.event_insights.exclude(session=None).count() == 8
    report = congress_report(congress, world["alice"])
    assert report.total.covered == 15 and report.gaps and report.themes[0][0] == world["priority"].title
    # Notes and minutes are screened too, and the demo's texts are clean.
    screened = SafetyReport.objects.exclude(source_kind="")
    assert not screened.exists(), [(r.source_label, r.excerpt) for r in screened]
    assert not SafetyReport.objects.filter(insight__event_link__event=congress).exists()


def test_it_loads_an_asynchronous_board_in_progress_with_three_advisors(world, acting, system_context):
    from django.utils import timezone

    from liaison.people.actions import create_hcp
    from liaison.programs import portal
    from liaison.programs.models import BoardPost

    hcps = [
        create_hcp(
            acting_user=None,
            data={
                "first_name": f"Advisor{i}",
                "last_name": f"Demo{i}",
                "city": "Berlin",
                "country": "Germany",
            },
            therapeutic_areas=[world["oncology"]],
        )
        for i in range(14)
    ]
    load_programs_demo(
        acting=acting,
        msls={"Oncology": [world["alice"], world["mona"]]},
        hcps={"Oncology": hcps},
        priorities={"Oncology": [(world["priority"], [])]},
        areas={"Oncology": world["oncology"]},
    )
    board = Event.objects.get(kind="advisory_board", status=EventStatus.CONFIRMED)
    assert board.needs_assessment.status == "approved"
    progress = portal.board_progress(board, timezone.now())
    assert len(progress) == 3 and all(p.access.user.role == "advisor" for p in progress)
    assert [p.answered for p in progress] == [2, 2, 1]
    assert all(p.minutes == 12 for p in progress)
    assert len(portal.visible_questions(board, timezone.now())) == 3  # the fourth opens tomorrow
    assert BoardPost.objects.filter(
        question__event=board, staff_author=world["mona"], parent__isnull=False
    ).exists()
