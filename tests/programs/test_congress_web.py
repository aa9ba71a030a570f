"""The congress pages: programme upload with its preview and refused rows, the coverage plan with its gaps,
assignments, a session's notes and insights, the report page, delivery settings and the safety link."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from liaison.programs.actions import congress
from liaison.programs.models import CoverageAssignment, SessionNote
from liaison.safety.models import SafetyReport

from .test_congress import HEADER, make_meeting, programme


@pytest.fixture
def meeting(world, acting):
    return make_meeting(world, acting)


def _post(client, event, **data):
    return client.post(reverse("programs:congress_post", args=[event.uuid]), data)


def _upload(client, event, content: bytes, dry_run: bool):
    data = {"form": "import", "file": SimpleUploadedFile("programme.csv", content, "text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return _post(client, event, **data)


def test_the_upload_previews_then_imports_and_lists_refused_rows(client, world, meeting):
    client.force_login(world["alice"])
    page = client.get(reverse("programs:congress", args=[meeting.uuid]))
    assert page.status_code == 200 and "No programme yet" in page.content.decode()
    preview = _upload(client, meeting, programme(), dry_run=True)
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "Preview (nothing written)" in text and "40 would be created" in text and "LBA01" in text
    assert meeting.sessions.count() == 0
    bad = (HEADER + "Z1,oral,Fine,2026-11-06,09:00,,,,\nZ2,keynote,Bad kind,2026-11-06,09:00,,,,\n").encode()
    refused = _upload(client, meeting, bad, dry_run=False)
    assert refused.status_code == 422
    assert "unknown kind" in refused.content.decode() and meeting.sessions.count() == 1
    done = _upload(client, meeting, programme(), dry_run=False)
    assert done.status_code == 200 and "40 created" in done.content.decode()


def test_the_plan_shows_gaps_and_assignments_by_day(client, world, meeting, acting):
    alice = world["alice"]
    with acting(alice):
        congress.import_sessions(meeting, acting_user=alice, data=programme())
    session = meeting.sessions.get(code="101O")
    client.force_login(alice)
    r = _post(client, meeting, form="assign", session=str(session.uuid), user=str(world["bob"].uuid))
    assert r.status_code == 302
    assert CoverageAssignment.objects.filter(session=session, user=world["bob"]).exists()
    again = _post(client, meeting, form="assign", session=str(session.uuid), user=str(world["bob"].uuid))
    assert again.status_code == 422 and "already covers" in again.content.decode()
    page = client.get(reverse("programs:congress", args=[meeting.uuid])).content.decode()
    assert "Friday 6 November 2026" in page and "Gap: priority session, nobody assigned" in page
    assert "Bob Tester" in page
    # Bob, of another team, joined the staff and now sees the congress and the session.
    client.force_login(world["bob"])
    assert client.get(reverse("programs:session_detail", args=[session.uuid])).status_code == 200


def test_a_note_on_the_session_page_is_screened_and_linked_from_the_safety_report(
    client, world, meeting, acting
):
    alice = world["alice"]
    with acting(alice):
        congress.import_sessions(meeting, acting_user=alice, data=programme())
    session = meeting.sessions.get(code="EDU02")
    client.force_login(alice)
    url = reverse("programs:session_post", args=[session.uuid])
    empty = client.post(url, {"form": "note", "text": ""})
    assert empty.status_code == 422
    r = client.post(url, {"form": "note", "text": "A patient developed grade 3 neutropenia after drug X."})
    assert r.status_code == 302
    note = SessionNote.objects.get(session=session)
    report = SafetyReport.objects.get(source_id=note.uuid)
    page = client.get(reverse("safety:report_detail", args=[report.uuid])).content.decode()
    link = reverse("programs:session_note", args=[note.uuid])
    assert link in page and "EDU02" in page
    assert client.get(link)["Location"].endswith(f"#note-{note.uuid}")
    r = client.post(url, {"form": "insight", "text": "Faculty want a shared toxicity triage card."})
    assert r.status_code == 302
    detail = client.get(reverse("programs:session_detail", args=[session.uuid])).content.decode()
    assert "grade 3 neutropenia" in detail and "toxicity triage card" in detail


def test_the_report_page_shows_coverage_and_themes_and_the_delivery_is_validated(
    client, world, meeting, acting
):
    alice = world["alice"]
    with acting(alice):
        congress.import_sessions(meeting, acting_user=alice, data=programme())
        congress.add_session_note(
            meeting.sessions.get(code="PL01"), acting_user=alice, text="Opening was upbeat."
        )
    client.force_login(alice)
    page = client.get(reverse("programs:report_page", args=[meeting.uuid])).content.decode()
    assert "Coverage: 1 of 40 sessions covered" in page and "Opening was upbeat." in page
    bad = _post(
        client, meeting, form="delivery", report_due_days="5", report_recipients="lead@example.org, nope"
    )
    assert bad.status_code == 422 and "not an e-mail address" in bad.content.decode()
    ok = _post(client, meeting, form="delivery", report_due_days="5", report_recipients="lead@example.org")
    assert ok.status_code == 302
    meeting.refresh_from_db()
    assert meeting.report_recipients == ["lead@example.org"] and meeting.report_due_days == 5
    detail = client.get(reverse("programs:event_detail", args=[meeting.uuid])).content.decode()
    assert "overdue by" in detail or "due in" in detail or "due today" in detail


def test_commercial_and_other_teams_do_not_see_the_congress_pages(client, world, meeting, acting):
    alice = world["alice"]
    with acting(alice):
        congress.import_sessions(meeting, acting_user=alice, data=programme())
    session = meeting.sessions.first()
    for name, expected in (("dave", 403), ("bob", 404)):
        client.force_login(world[name])
        assert client.get(reverse("programs:congress", args=[meeting.uuid])).status_code == expected
        assert client.get(reverse("programs:session_detail", args=[session.uuid])).status_code == expected


def _put(api_client, path, body):
    return api_client.client.put(
        "/api/v1" + path, json.dumps(body), content_type="application/json", headers=api_client.headers
    )


def test_the_api_imports_plans_notes_and_reports(api, world, meeting):
    from api_support import detail_of

    alice = api("alice")
    base = f"/events/{meeting.uuid}"
    csv_text = programme().decode()
    r = alice.post(f"{base}/sessions/import", {"csv": csv_text, "dry_run": True})
    assert r.status_code == 200, r.content
    assert r.json()["created"] == 40 and r.json()["dry_run"] and meeting.sessions.count() == 0
    bad = csv_text + "LBA01,oral,Duplicate,2026-11-06,09:00,,,,\n"
    r = alice.post(f"{base}/sessions/import", {"csv": bad})
    body = r.json()
    assert body["created"] == 40 and body["refused"] == [
        {"line": 42, "field": "code", "message": "LBA01 is also on line 16 of this file"}
    ]
    r = alice.post(f"{base}/sessions/import", {"csv": "code,colour\nX,red\n"})
    assert r.status_code == 422 and "unknown column" in str(detail_of(r))
    sessions = {s["code"]: s for s in alice.get(f"{base}/sessions").json()}
    assert len(sessions) == 40
    r = alice.post(
        f"{base}/coverage", {"session": sessions["101O"]["uuid"], "user": str(world["alice"].uuid)}
    )
    assert r.status_code == 201, r.content
    plan = alice.get(f"{base}/coverage").json()
    assert len(plan["days"]) == 4 and plan["gaps"] > 0
    r = alice.post(
        f"{base}/sessions/{sessions['101O']['uuid']}/notes", {"text": "Turnaround fell to 9 days."}
    )
    assert r.status_code == 201
    r = alice.post(f"{base}/sessions/{sessions['101O']['uuid']}/insights", {"text": "Sites want order sets."})
    assert r.status_code == 201
    report = alice.get(f"{base}/congress-report").json()
    assert report["total"]["covered"] == 1 and report["sessions"][0]["notes"][0]["text"].startswith(
        "Turnaround"
    )
    r = _put(alice, f"{base}/report-delivery", {"report_due_days": 5, "report_recipients": ["x"]})
    assert r.status_code == 422 and "e-mail" in str(detail_of(r))
    r = _put(
        alice, f"{base}/report-delivery", {"report_due_days": 5, "report_recipients": ["lead@example.org"]}
    )
    assert r.status_code == 200 and r.json()["due_on"] == "2026-11-14"
    r = alice.post(f"{base}/report-send", {})
    assert r.status_code == 422 and "completed" in str(detail_of(r))
    assert api("dave").get(f"{base}/sessions").status_code == 403
    assert api("bob").get(f"{base}/sessions").status_code == 404


def test_the_cli_imports_a_programme_with_a_dry_run_first(world, meeting, tmp_path):
    from click.testing import CliRunner

    from liaison.cli import main

    source = tmp_path / "programme.csv"
    source.write_bytes(programme() + b"BAD1,keynote,Unknown kind,2026-11-06,09:00,,,,\n")
    runner = CliRunner()
    args = ["programs", "import-sessions", str(meeting.uuid), str(source), "--as", "alice"]
    dry = runner.invoke(main, [*args, "--dry-run"])
    assert dry.exit_code == 1, dry.output
    assert "40 would be created" in dry.output and "line 42" in dry.output and not meeting.sessions.exists()
    done = runner.invoke(main, args)
    assert done.exit_code == 1 and meeting.sessions.count() == 40
    source.write_bytes(programme())
    again = runner.invoke(main, args)
    assert again.exit_code == 0 and "40 unchanged" in again.output
    assert runner.invoke(main, [*args[:-1], "dave"]).exit_code == 2


def test_the_event_form_validates_recipients_and_the_list_shows_the_deadline(client, world, meeting):
    client.force_login(world["alice"])
    url = reverse("programs:event_edit", args=[meeting.uuid])
    form = {
        "kind": "congress",
        "title": meeting.title,
        "starts_at": "2026-11-06T08:00",
        "ends_at": "2026-11-09T18:00",
        "time_zone": "Europe/Madrid",
        "therapeutic_area": str(world["oncology"].uuid),
        "objectives": "Cover the biomarker sessions",
        "report_due_days": "5",
        "report_recipients": "lead@example.org, nobody@",
    }
    bad = client.post(url, form)
    assert bad.status_code == 200 and "not an e-mail address" in bad.content.decode()
    form["report_recipients"] = "lead@example.org"
    assert client.post(url, form).status_code == 302
    meeting.refresh_from_db()
    assert meeting.report_recipients == ["lead@example.org"] and meeting.report_due_days == 5
    listing = client.get(reverse("programs:event_list") + "?when=past").content.decode()
    assert "report overdue by" in listing


def test_the_congress_page_sends_the_report_of_a_completed_congress(
    client, world, meeting, acting, smtp_server
):
    from liaison.programs import actions

    alice = world["alice"]
    with acting(alice):
        congress.set_report_delivery(
            meeting, acting_user=alice, report_due_days=5, report_recipients=["a@example.org"]
        )
        actions.change_status(meeting, acting_user=alice, status="confirmed")
        actions.change_status(meeting, acting_user=alice, status="completed")
    client.force_login(alice)
    page = client.get(reverse("programs:congress", args=[meeting.uuid])).content.decode()
    assert "Send the report" in page
    r = _post(client, meeting, form="send")
    assert r.status_code == 302
    [message] = smtp_server.wait_for(1)
    assert smtp_server.envelopes[0][1] == ["a@example.org"]
    assert "/events/" in smtp_server.text_of(message)  # the link back to the report page
    meeting.refresh_from_db()
    assert meeting.report_shared_at is not None
    assert "Report sent" in client.get(reverse("programs:event_detail", args=[meeting.uuid])).content.decode()
