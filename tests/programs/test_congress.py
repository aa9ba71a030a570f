"""Congresses: the programme import, the coverage plan, session notes and insights (screened for adverse events),
the congress report and its delivery by e-mail."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from importlib import resources

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.programs import actions
from liaison.programs.actions import congress
from liaison.programs.congress_queries import congress_report, coverage_plan, report_due_label
from liaison.programs.models import CoverageAssignment, EventStaff
from liaison.programs.queries import event_report
from liaison.programs.report import render_pdf
from liaison.safety.models import SafetyReport

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
HEADER = "code,kind,title,date,start,end,room,presenters,topics\n"


def programme() -> bytes:
    """The sample programme shipped for the demo: 40 sessions of an oncology congress, 6 to 9 November 2026."""
    return (resources.files("liaison.programs") / "data" / "congress_programme.csv").read_bytes()


@pytest.fixture
def meeting(world, acting):
    return make_meeting(world, acting)


def make_meeting(world, acting):
    """A congress in Madrid time, 6 to 9 November 2026 (held), owned by alice, answering the biomarker priority."""
    alice = world["alice"]
    with acting(alice):
        return actions.create_event(
            acting_user=alice,
            data={
                "kind": "congress",
                "title": "European Oncology Congress",
                "starts_at": dt.datetime(2026, 11, 6, 8, tzinfo=MADRID),
                "ends_at": dt.datetime(2026, 11, 9, 18, tzinfo=MADRID),
                "time_zone": "Europe/Madrid",
                "city": "Barcelona",
                "therapeutic_area": world["oncology"],
            },
            listening_priorities=[world["priority"]],
        )


def _import(meeting, user, data, acting, dry_run=False):
    with acting(user):
        return congress.import_sessions(meeting, acting_user=user, data=data, dry_run=dry_run)


def test_it_imports_the_sample_programme_and_a_second_import_changes_nothing(world, meeting, acting):
    alice = world["alice"]
    report = _import(meeting, alice, programme(), acting)
    assert (report.rows, report.created, report.refused) == (40, 40, [])
    assert meeting.sessions.count() == 40
    lba = meeting.sessions.get(code="LBA01")
    assert lba.kind == "late_breaking" and lba.topics == ["EGFR", "adjuvant"]
    assert timezone.localtime(lba.starts_at, MADRID) == dt.datetime(2026, 11, 7, 9, tzinfo=MADRID)
    assert lba.ends_at - lba.starts_at == dt.timedelta(minutes=15)
    again = _import(meeting, alice, programme(), acting)
    assert (again.created, again.updated, again.unchanged, again.refused_rows) == (0, 0, 40, 0)


def test_it_updates_a_changed_row_matched_on_its_code(world, meeting, acting):
    alice = world["alice"]
    _import(meeting, alice, programme(), acting)
    changed = programme().replace(b"Auditorium 1,Y. Chen", b"Hall A,Y. Chen")
    report = _import(meeting, alice, changed, acting)
    assert (report.updated, report.unchanged, report.created) == (1, 39, 0)
    assert meeting.sessions.get(code="LBA01").room == "Hall A"


def test_it_reports_each_bad_row_by_line_and_field_and_imports_the_good_ones(world, meeting, acting):
    data = (
        HEADER
        + "A1,oral,Good session,2026-11-06,09:00,09:15,Hall A,Dr One,EGFR\n"  # line 2: good
        + "A2,oral,Bad date,2026-13-01,09:00,,,,\n"  # line 3
        + "A3,keynote,Unknown kind,2026-11-06,09:00,,,,\n"  # line 4
        + "A4,poster,,2026-11-06,09:00,,,,\n"  # line 5: no title
        + "A1,poster,Same code again,2026-11-07,10:00,,,,\n"  # line 6
        + "A5,oral,After the congress,2026-11-12,09:00,,,,\n"  # line 7
        + "A6,oral,Ends before it starts,2026-11-06,10:00,09:00,,,\n"  # line 8
        + "A7,Late-breaking,Also good,2026-11-08,14:00,,,,\n"  # line 9: good
        + "A8,oral,Bad time,2026-11-06,9 am,,,,\n"  # line 10
    )
    report = _import(meeting, world["alice"], data, acting)
    refused = {(r.line, r.field) for r in report.refused}
    assert refused == {
        (3, "date"),
        (4, "kind"),
        (5, "title"),
        (6, "code"),
        (7, "date"),
        (8, "end"),
        (10, "start"),
    }
    assert "line 2" in next(r.message for r in report.refused if r.line == 6)
    assert "outside the congress" in next(r.message for r in report.refused if r.line == 7)
    assert (report.rows, report.created, report.refused_rows) == (9, 2, 7)
    assert set(meeting.sessions.values_list("code", flat=True)) == {"A1", "A7"}


def test_a_dry_run_writes_nothing(world, meeting, acting):
    report = _import(meeting, world["alice"], programme(), acting, dry_run=True)
    assert report.created == 40 and report.dry_run and len(report.preview) == 40
    assert meeting.sessions.count() == 0


def test_it_accepts_common_header_aliases_and_refuses_unknown_columns(world, meeting, acting):
    alice = world["alice"]
    data = "Session Code;Type;Session Title;Day;Start Time;End Time;Hall;Speakers;Keywords\n".replace(
        ";", ","
    )
    data += "X1,Poster,Alias row,2026-11-06,12:30,13:30,Poster area,Dr Two,PD-L1|pathology\n"
    report = _import(meeting, alice, data, acting)
    assert report.created == 1 and meeting.sessions.get().topics == ["PD-L1", "pathology"]
    with pytest.raises(ValidationError) as exc:
        _import(meeting, alice, "code,title,colour\nX,Y,red\n", acting)
    assert "unknown column(s) colour" in str(exc.value) and "missing column(s) start" in str(exc.value)


def test_sessions_that_answer_a_listening_priority_are_linked_to_it(world, meeting, acting):
    _import(meeting, world["alice"], programme(), acting)
    # The priority asks about PD-L1 and EGFR testing: sessions tagged with either answer it.
    linked = set(world["priority"].sessions.values_list("code", flat=True))
    assert {"101O", "102O", "LBA01", "503P", "802P"} <= linked
    assert "EDU04" not in linked and "104O" not in linked


def test_only_the_congress_team_imports_and_only_into_a_congress(world, meeting, board, acting):
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied or the row rule
        _import(meeting, world["dave"], programme(), acting)
    with pytest.raises(ValidationError):
        _import(meeting, world["bob"], programme(), acting)
    with pytest.raises(ValidationError) as exc:
        _import(board, world["alice"], programme(), acting)
    assert "congress" in str(exc.value)


def _imported(world, meeting, acting):
    _import(meeting, world["alice"], programme(), acting)
    return {s.code: s for s in meeting.sessions.all()}


def test_assigning_a_colleague_of_another_team_makes_them_staff(world, meeting, acting):
    alice, bob = world["alice"], world["bob"]
    sessions = _imported(world, meeting, acting)
    with acting(alice):
        assignment = congress.assign_coverage(sessions["101O"], acting_user=alice, user=bob)
        assert EventStaff.objects.filter(event=meeting, user=bob, role="note_taker").exists()
        congress.assign_coverage(sessions["102O"], acting_user=alice, user=alice)
        with pytest.raises(ValidationError):
            congress.assign_coverage(sessions["101O"], acting_user=alice, user=bob)
        with pytest.raises(ValidationError):
            congress.assign_coverage(sessions["101O"], acting_user=alice, user=world["dave"])
    assert CoverageAssignment.objects.restrict(bob, "view").filter(pk=assignment.pk).exists()
    with acting(alice):
        congress.unassign_coverage(assignment, acting_user=alice)
    assert not CoverageAssignment.objects.filter(pk=assignment.pk).exists()


def test_the_plan_groups_by_day_and_shows_priority_sessions_nobody_covers(world, meeting, acting):
    alice = world["alice"]
    sessions = _imported(world, meeting, acting)
    with acting(alice):
        congress.assign_coverage(sessions["101O"], acting_user=alice, user=alice)
    plan = coverage_plan(meeting, alice)
    assert [day for day, _ in plan.days] == [dt.date(2026, 11, d) for d in (6, 7, 8, 9)]
    gaps = {row.session.code for row in plan.gaps}
    assert "101O" not in gaps and {"102O", "LBA01"} <= gaps and "EDU04" not in gaps
    assert plan.by_user() == [(alice, 1, 0)]


def test_a_note_marks_the_session_covered_and_is_screened_for_adverse_events(world, meeting, acting):
    alice = world["alice"]
    sessions = _imported(world, meeting, acting)
    with acting(alice):
        assignment = congress.assign_coverage(sessions["301O"], acting_user=alice, user=alice)
        clean = congress.add_session_note(
            sessions["301O"],
            acting_user=alice,
            text="Pooled data from four trials; the discussant urged caution.",
        )
    assert not SafetyReport.objects.filter(source_id=clean.uuid).exists()
    assignment.refresh_from_db()
    assert assignment.covered_at is not None
    with acting(alice):
        note = congress.add_session_note(
            sessions["301O"],
            acting_user=alice,
            text="During Q&A a speaker said a patient developed grade 3 neutropenia after drug X.",
        )
    report = SafetyReport.objects.get(source_id=note.uuid)
    assert report.source_kind == "session_note" and "301O" in report.source_label
    assert report.reported_by == alice and report.insight_id is None
    assert timezone.now() - report.day_zero < dt.timedelta(minutes=1)
    with acting(alice), pytest.raises(ValidationError):
        congress.unassign_coverage(assignment, acting_user=alice)


def test_event_minutes_are_screened_for_adverse_events(world, board, acting):
    alice = world["alice"]
    with acting(alice):
        actions.save_minutes(board, acting_user=alice, minutes="The advisors discussed testing pathways.")
        assert not SafetyReport.objects.filter(source_kind="event_minutes").exists()
        actions.save_minutes(
            board,
            acting_user=alice,
            minutes="An advisor reported that a patient developed grade 3 neutropenia.",
        )
    report = SafetyReport.objects.get(source_kind="event_minutes")
    assert report.source_id == board.uuid and board.title in report.source_label


def test_an_insight_in_a_session_joins_the_loop_tagged_to_the_session(world, meeting, acting):
    alice = world["alice"]
    sessions = _imported(world, meeting, acting)
    with acting(alice):
        link = congress.add_session_insight(
            sessions["401O"],
            acting_user=alice,
            text="Several centres now test PD-L1 reflexively at diagnosis.",
            listening_priority=world["priority"],
        )
    assert link.session == sessions["401O"] and link.event == meeting
    assert link.insight.status == "submitted"
    assert CoverageAssignment.objects.get(session=sessions["401O"], user=alice).covered_at is not None


def test_the_congress_report_shows_coverage_by_kind_the_themes_and_the_notes(world, meeting, acting):
    alice = world["alice"]
    sessions = _imported(world, meeting, acting)
    with acting(alice):
        for code in ("101O", "102O", "201P"):
            congress.assign_coverage(sessions[code], acting_user=alice, user=alice)
        congress.add_session_note(
            sessions["101O"], acting_user=alice, text="Reflex testing cut the wait to 9 days."
        )
        congress.add_session_insight(
            sessions["101O"],
            acting_user=alice,
            text="Community sites want reflex PD-L1 order sets.",
            listening_priority=world["priority"],
        )
        congress.add_session_insight(
            sessions["201P"], acting_user=alice, text="Poster authors want a follow-up."
        )
    data = congress_report(meeting, alice)
    assert (data.total.sessions, data.total.assigned, data.total.covered, data.total.uncovered) == (
        40,
        3,
        2,
        38,
    )
    oral = next(k for k in data.coverage if k.kind == "oral")
    assert (oral.assigned, oral.covered) == (2, 1)
    assert [(theme, len(items)) for theme, items in data.themes] == [
        ("Biomarker testing barriers", 1),
        ("Other themes", 1),
    ]
    assert [s.session.code for s in data.sessions] == ["101O", "201P"]
    assert data.sessions[0].notes[0].text.startswith("Reflex testing")
    assert "102O" in {s.code for s in data.gaps}
    pdf = render_pdf(event_report(meeting, alice))
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000


def _complete(world, meeting, acting, recipients):
    alice = world["alice"]
    with acting(alice):
        congress.set_report_delivery(
            meeting, acting_user=alice, report_due_days=5, report_recipients=recipients
        )
        actions.change_status(meeting, acting_user=alice, status="confirmed")
        actions.change_status(meeting, acting_user=alice, status="completed")


def test_it_sends_the_report_by_email_with_the_pdf_attached(world, meeting, acting, smtp_server):
    alice = world["alice"]
    sessions = _imported(world, meeting, acting)
    with acting(alice):
        congress.assign_coverage(sessions["LBA01"], acting_user=alice, user=alice)
        congress.add_session_note(sessions["LBA01"], acting_user=alice, text="OS benefit held at five years.")
    _complete(world, meeting, acting, "medical.director@example.org; Brand.Lead@example.org")
    with acting(alice):
        congress.send_report(meeting, acting_user=alice)
    [message] = smtp_server.wait_for(1)
    assert sorted(smtp_server.envelopes[0][1]) == ["brand.lead@example.org", "medical.director@example.org"]
    assert message["Subject"] == "Report: European Oncology Congress"
    html = smtp_server.text_of(message, "html")
    assert "OS benefit held at five years." in html and "LBA01" in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
    meeting.refresh_from_db()
    assert meeting.report_shared_at is not None
    assert report_due_label(meeting).startswith("report sent")


def test_it_refuses_to_send_without_recipients_or_before_completion(world, meeting, acting, smtp_server):
    alice = world["alice"]
    with acting(alice), pytest.raises(ValidationError) as exc:
        congress.send_report(meeting, acting_user=alice)
    assert "completed" in str(exc.value)
    _complete(world, meeting, acting, [])
    with acting(alice), pytest.raises(ValidationError) as exc:
        congress.send_report(meeting, acting_user=alice)
    assert "report_recipients" in exc.value.message_dict
    assert smtp_server.messages == []
    meeting.refresh_from_db()
    assert meeting.report_shared_at is None


def test_a_transport_failure_records_nothing(world, meeting, acting, settings):
    from helpers_smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    _complete(world, meeting, acting, ["lead@example.org"])
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        congress.send_report(meeting, acting_user=world["alice"])
    assert "could not be sent" in str(exc.value)
    meeting.refresh_from_db()
    assert meeting.report_shared_at is None


def test_recipients_must_be_email_addresses(world, meeting, acting):
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        congress.set_report_delivery(
            meeting,
            acting_user=world["alice"],
            report_due_days=5,
            report_recipients="lead@example.org, not-an-address",
        )
    assert "not-an-address" in str(exc.value)
    with acting(world["alice"]), pytest.raises(ValidationError):
        congress.set_report_delivery(meeting, acting_user=world["alice"], report_due_days=-1)


def test_the_due_date_counts_from_the_last_day(world, meeting, acting):
    with acting(world["alice"]):
        congress.set_report_delivery(meeting, acting_user=world["alice"], report_due_days=5)
    # The congress ends on 9 November: due on the 14th.
    assert report_due_label(meeting, today=dt.date(2026, 11, 11)) == "report due in 3 days"
    assert report_due_label(meeting, today=dt.date(2026, 11, 14)) == "report due today"
    assert report_due_label(meeting, today=dt.date(2026, 11, 16)) == "report overdue by 2 days"
    meeting.report_due_days = None
    assert report_due_label(meeting) == ""
