"""The demo's events: a completed advisory board with its outputs, and upcoming events of every other kind."""

from __future__ import annotations

from liaison.programs.demo import load_programs_demo
from liaison.programs.models import Event, EventStatus
from liaison.safety.models import SafetyReport


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
    # The demo's insight texts are clean: none raises a safety report.
    flagged = SafetyReport.objects.filter(insight__event_link__event=board)
    assert not flagged.exists(), [(r.excerpt, r.detected_terms, r.detector_layer) for r in flagged]


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
    progress = portal.board_progress(board, timezone.now())
    assert len(progress) == 3 and all(p.access.user.role == "advisor" for p in progress)
    assert [p.answered for p in progress] == [2, 2, 1]
    assert all(p.minutes == 12 for p in progress)
    assert len(portal.visible_questions(board, timezone.now())) == 3  # the fourth opens tomorrow
    assert BoardPost.objects.filter(
        question__event=board, staff_author=world["mona"], parent__isnull=False
    ).exists()
