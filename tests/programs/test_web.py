"""The event pages: list, plan form (errors beside the fields), event page, walk-in candidates, report, PDF."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from liaison.programs.models import Event


def _urls(event):
    return [
        reverse("programs:event_list"),
        reverse("programs:event_list") + "?when=past&kind=advisory_board&status=planned",
        reverse("programs:event_new"),
        reverse("programs:event_detail", args=[event.uuid]),
        reverse("programs:event_edit", args=[event.uuid]),
        reverse("programs:report_page", args=[event.uuid]),
        reverse("programs:report_pdf", args=[event.uuid]),
    ]


def test_it_serves_every_event_page_to_the_msl(client, world, board):
    client.force_login(world["alice"])
    for url in _urls(board):
        r = client.get(url)
        assert r.status_code == 200, url
    page = client.get(reverse("programs:event_detail", args=[board.uuid])).content.decode()
    assert "Oncology advisory board" in page and "Grace Hopkins" in page and "Walk-in" in page
    assert 'href="/events/"' in client.get("/").content.decode()


def test_it_lists_upcoming_and_past_events(client, world, board):
    client.force_login(world["alice"])
    assert "Oncology advisory board" not in client.get("/events/").content.decode()
    assert "Oncology advisory board" in client.get("/events/?when=past").content.decode()


def test_it_refuses_every_event_page_to_commercial(client, world, board):
    client.force_login(world["dave"])
    for url in _urls(board):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(reverse("programs:event_post", args=[board.uuid]), {"form": "walk_in"}).status_code == 403
    )
    assert 'href="/events/"' not in client.get("/").content.decode()


def test_it_hides_another_teams_event_with_a_404(client, world, board):
    client.force_login(world["bob"])
    assert client.get(reverse("programs:event_detail", args=[board.uuid])).status_code == 404


def test_it_plans_an_event_reading_times_in_its_own_zone(client, world):
    client.force_login(world["alice"])
    r = client.post(
        reverse("programs:event_new"),
        {
            "kind": "webinar",
            "title": "Tokyo webinar",
            "starts_at": "2027-01-10T19:00",
            "ends_at": "2027-01-10T20:00",
            "time_zone": "Asia/Tokyo",
            "therapeutic_area": str(world["oncology"].uuid),
            "agenda": "19:00 | Welcome | 山田 花子\nQ&A",
        },
    )
    assert r.status_code == 302
    event = Event.objects.get(title="Tokyo webinar")
    assert event.starts_at == dt.datetime(2027, 1, 10, 10, 0, tzinfo=dt.UTC)
    assert event.agenda == [
        {"time": "19:00", "title": "Welcome", "speaker": "山田 花子"},
        {"time": "", "title": "Q&A", "speaker": ""},
    ]


def test_it_shows_a_refused_field_next_to_it(client, world):
    client.force_login(world["alice"])
    r = client.post(
        reverse("programs:event_new"),
        {
            "kind": "webinar",
            "title": "Bad zone",
            "starts_at": "2027-01-10T19:00",
            "ends_at": "2027-01-10T20:00",
            "time_zone": "Mars/Base",
            "therapeutic_area": str(world["oncology"].uuid),
        },
    )
    assert r.status_code == 200
    form = r.context["form"]
    assert "time_zone" in form.errors
    assert "Mars/Base" in str(form.errors["time_zone"])
    assert not Event.objects.filter(title="Bad zone").exists()


def test_it_offers_walk_in_candidates_then_records_the_picked_one(client, world, board, hcp):
    client.force_login(world["alice"])
    url = reverse("programs:event_post", args=[board.uuid])
    r = client.post(
        url, {"form": "walk_in", "first_name": "Grace", "last_name": "Hopkins", "role": "attendee"}
    )
    assert r.status_code == 409
    assert "may be the same person" in r.content.decode() and str(hcp.uuid) in r.content.decode()
    r = client.post(
        url,
        {
            "form": "walk_in",
            "first_name": "Grace",
            "last_name": "Hopkins",
            "role": "attendee",
            "pick_hcp": str(hcp.uuid),
        },
    )
    assert r.status_code == 302
    assert board.participants.get(hcp=hcp).attendance == "attended"


def test_it_changes_the_status_and_captures_an_insight(client, world, board):
    status = "confirmed"
    client.force_login(world["alice"])
    post = reverse("programs:event_post", args=[board.uuid])
    client.post(post, {"form": "status", "status": status})
    board.refresh_from_db()
    assert board.status == status
    r = client.post(post, {"form": "insight", "text": "Testing delays are the main barrier."})
    assert r.status_code == 302
    assert board.event_insights.get().insight.text == "Testing delays are the main barrier."
    report = client.get(reverse("programs:report_page", args=[board.uuid])).content.decode()
    assert "Testing delays are the main barrier." in report
    empty = client.post(post, {"form": "insight", "text": ""})
    assert empty.status_code == 422 and "text" in empty.context["insight_form"].errors


def test_it_confirms_attendance_and_marks_action_items_done_from_the_event_page(client, world, board, acting):
    from liaison.programs import actions

    with acting(world["alice"]):
        item = actions.add_action_item(board, acting_user=world["alice"], title="Send the minutes")
    client.force_login(world["alice"])
    post = reverse("programs:event_post", args=[board.uuid])
    participant = board.participants.get()
    r = client.post(
        post, {"form": "attendance", "participant": str(participant.uuid), "attendance": "no_show"}
    )
    assert r.status_code == 302
    participant.refresh_from_db()
    assert participant.attendance == "no_show"
    client.post(post, {"form": "action_done", "item": str(item.uuid)})
    item.refresh_from_db()
    assert item.done_at is not None
    assert client.post(post, {"form": "nonsense"}).status_code == 400
    assert client.post(post, {"form": "action_done", "item": "not-a-uuid"}).status_code == 404
