"""The insight-to-action loop: ratings, themes, actions, notifications, the report, permissions and pages.

Personas: alice (MSL, Oncology East), bob (MSL, Cardio West), mona (manager, Oncology East), lena (medical
lead), dave (commercial).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from api_support import detail_of
from liaison.core.permissions import PermissionDenied
from liaison.insights.actions import create_insight, review_insight
from liaison.loop import actions
from liaison.loop.models import InsightAction, InsightRating, Notification, Theme
from liaison.loop.queries import build_loop_report
from personas import PASSWORD


def _insight(
    w: dict[str, Any], author: str, acting: Any, *, area: str = "oncology", reviewed: bool = True
) -> Any:
    with acting(w[author]):
        insight = create_insight(
            acting_user=w[author],
            text=f"{author} heard that testing takes weeks",
            therapeutic_area=w[area],
            submit=True,
            screen=False,
        )
    if reviewed:
        with acting(w["lena"]):
            review_insight(insight, acting_user=w["lena"])
    return insight


def _backdate(insight: Any, days: float, system_context: Any) -> None:
    """Submitted `days` ago (set-up only: submitted_at is not user-editable)."""
    type(insight).objects.filter(pk=insight.pk).update(submitted_at=timezone.now() - dt.timedelta(days=days))


@pytest.fixture
def loop(world, acting, system_context):
    """Two oncology insights (alice, mona's team) and one cardiology insight (bob) in one theme each side."""
    a1 = _insight(world, "alice", acting)
    a2 = _insight(world, "alice", acting)
    b1 = _insight(world, "bob", acting, area="cardio")
    with acting(world["lena"]):
        onc = actions.create_theme(
            acting_user=world["lena"],
            name="Testing delays",
            therapeutic_area=world["oncology"],
            insights=[a1],
        )
        cardio = actions.create_theme(
            acting_user=world["lena"], name="Cardio access", therapeutic_area=world["cardio"], insights=[b1]
        )
    return {"a1": a1, "a2": a2, "b1": b1, "onc": onc, "cardio": cardio}


# ---- ratings -------------------------------------------------------------------------------------------------


def test_it_rates_an_insight_once_per_reviewer_and_updates_in_place(world, loop, acting):
    with acting(world["lena"]):
        actions.rate_insight(loop["a1"], acting_user=world["lena"], specific=4, actionable=2, new=True)
        actions.rate_insight(loop["a1"], acting_user=world["lena"], specific=5, actionable=3, new=False)
    rating = InsightRating.objects.get()
    assert (rating.specific, rating.actionable, rating.new) == (5, 3, False)


@pytest.mark.parametrize("bad", [0, 6, 2.5, True, "3"])
def test_it_refuses_ratings_off_the_scale(world, loop, acting, bad):
    with acting(world["lena"]), pytest.raises(ValidationError):
        actions.rate_insight(loop["a1"], acting_user=world["lena"], specific=bad, actionable=3, new=True)


def test_it_refuses_ratings_by_msls_and_of_other_teams_insights(world, loop, acting):
    with acting(world["alice"]), pytest.raises(PermissionDenied):
        actions.rate_insight(loop["a1"], acting_user=world["alice"], specific=3, actionable=3, new=True)
    with acting(world["mona"]), pytest.raises(ValidationError):
        actions.rate_insight(loop["b1"], acting_user=world["mona"], specific=3, actionable=3, new=True)


# ---- themes, actions and notifications -----------------------------------------------------------------------


def test_it_refuses_insights_of_another_area_in_a_theme(world, loop, acting):
    with acting(world["lena"]), pytest.raises(ValidationError, match="another therapeutic area"):
        actions.update_theme(loop["onc"], acting_user=world["lena"], add=[loop["b1"]])


def test_it_notifies_exactly_the_msls_whose_insights_fed_the_action(world, loop, acting):
    m1 = _insight(world, "mona", acting)  # mona is the author here and also the one acting: not notified
    with acting(world["lena"]):
        actions.update_theme(loop["onc"], acting_user=world["lena"], add=[loop["a2"], m1])
    with acting(world["mona"]):
        action = actions.create_action(
            loop["onc"],
            acting_user=world["mona"],
            title="Fund a reflex-testing pilot",
            owner_function="HEOR",
            due_date=dt.date(2030, 1, 31),
        )
    notes = Notification.objects.filter(action=action)
    assert [n.user.username for n in notes] == ["alice"]  # two insights by alice: one notification
    assert "Fund a reflex-testing pilot" in notes[0].text
    assert notes[0].link == f"/loop/actions/{action.uuid}/"
    with acting(world["lena"]):
        actions.complete_action(action, acting_user=world["lena"], outcome="Pilot approved in 3 sites")
    outcome_notes = Notification.objects.filter(action=action, text__contains="Pilot approved in 3 sites")
    assert sorted(n.user.username for n in outcome_notes) == ["alice", "mona"]
    action.refresh_from_db()
    assert action.status == "done" and action.completed_at is not None


def test_it_needs_an_outcome_and_one_owner(world, loop, acting):
    with acting(world["lena"]):
        with pytest.raises(ValidationError, match="owner"):
            actions.create_action(
                loop["onc"], acting_user=world["lena"], title="X", due_date=dt.date(2030, 1, 1)
            )
        with pytest.raises(ValidationError, match="not both"):
            actions.create_action(
                loop["onc"],
                acting_user=world["lena"],
                title="X",
                due_date=dt.date(2030, 1, 1),
                owner_user=world["mona"],
                owner_function="HEOR",
            )
        action = actions.create_action(
            loop["onc"],
            acting_user=world["lena"],
            title="X",
            due_date=dt.date(2030, 1, 1),
            owner_user=world["mona"],
        )
        with pytest.raises(ValidationError):
            actions.complete_action(action, acting_user=world["lena"], outcome="  ")
        with pytest.raises(ValidationError, match="outcome"):
            actions.update_action(action, acting_user=world["lena"], status="done")


def test_it_audits_action_changes(world, loop, acting):
    from liaison.core.models import AuditEvent

    with acting(world["lena"]):
        action = actions.create_action(
            loop["onc"],
            acting_user=world["lena"],
            title="X",
            due_date=dt.date(2030, 1, 1),
            owner_function="R&D",
        )
        actions.update_action(action, acting_user=world["lena"], status="in_progress")
    types = list(
        AuditEvent.objects.filter(object_uuid=action.uuid).order_by("pk").values_list("event_type", flat=True)
    )
    assert types == ["action.created", "action.updated"]


def test_an_action_keeps_the_audit_name_it_had_before_the_rename_and_reconciles(world, loop, acting):
    """InsightAction was loop.Action: its events keep object type "loop.action" and "action.*" types, so the
    history written before the rename and after it replays as one, and a direct edit is still named."""
    from django.db import connection

    from liaison.compliance.reconcile import reconcile
    from liaison.core.models import AuditEvent

    with acting(world["lena"]):
        action = actions.create_action(
            loop["onc"],
            acting_user=world["lena"],
            title="X",
            due_date=dt.date(2030, 1, 1),
            owner_function="R&D",
        )
        actions.complete_action(action, acting_user=world["lena"], outcome="Done")
    events = AuditEvent.objects.filter(object_uuid=action.uuid).order_by("seq")
    assert {e.object_type for e in events} == {"loop.action"}
    assert [e.event_type for e in events] == ["action.created", "action.updated"]
    assert reconcile().ok

    with connection.cursor() as cursor:
        cursor.execute("UPDATE loop_action SET title = 'Y' WHERE id = %s", [action.pk])
    (difference,) = reconcile().discrepancies
    assert (difference.table, difference.label, difference.record, difference.field) == (
        "loop_action",
        "loop.action",
        str(action.uuid),
        "title",
    )


# ---- the report ----------------------------------------------------------------------------------------------


def test_it_reports_rate_and_latency_on_planted_data(world, loop, acting, system_context):
    # Oncology: a1 (in a theme, action after 10 days, done after 30), a2 (no action) -> 1/2, 10 d, 30 d.
    # Cardiology: b1 in a theme whose only action was cancelled -> 0/1.
    _backdate(loop["a1"], 40, system_context)
    _backdate(loop["a2"], 40, system_context)
    _backdate(loop["b1"], 5, system_context)
    with acting(world["lena"]):
        act = actions.create_action(
            loop["onc"],
            acting_user=world["lena"],
            title="A",
            due_date=dt.date(2030, 1, 1),
            owner_function="HEOR",
        )
        cancelled = actions.create_action(
            loop["cardio"],
            acting_user=world["lena"],
            title="B",
            due_date=dt.date(2030, 1, 1),
            owner_function="R&D",
        )
        actions.complete_action(
            cancelled, acting_user=world["lena"], outcome="Out of scope", status="cancelled"
        )
        actions.complete_action(act, acting_user=world["lena"], outcome="Done")
    now = timezone.now()
    InsightAction.objects.filter(pk=act.pk).update(
        created_at=now - dt.timedelta(days=30), completed_at=now - dt.timedelta(days=10)
    )
    report = build_loop_report(world["lena"])
    areas = {r.label: r for r in report.by_area}
    assert (areas["Oncology"].reviewed, areas["Oncology"].fed_action) == (2, 1)
    assert areas["Oncology"].median_days_to_action == pytest.approx(10.0, abs=0.1)
    assert areas["Oncology"].median_days_to_outcome == pytest.approx(30.0, abs=0.1)
    assert (areas["Cardiology"].reviewed, areas["Cardiology"].fed_action) == (1, 0)
    assert report.total.rate == pytest.approx(1 / 3)
    teams = {r.label: r for r in report.by_team}
    assert teams["Oncology East"].rate == 0.5 and teams["Cardio West"].rate == 0.0
    # Mona sees her team's insights only.
    assert [r.label for r in build_loop_report(world["mona"]).by_area] == ["Oncology"]


def test_it_leaves_drafts_and_unreviewed_insights_out_of_the_rate(world, loop, acting):
    _insight(world, "alice", acting, reviewed=False)
    assert build_loop_report(world["lena"]).total.reviewed == 3


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_the_period_holds_whole_local_days_from_since_to_until(world, loop, settings, zone):
    # In Berlin (UTC+1 in January) 23:30 local on the 31st is 22:30 UTC, 00:00 local on the 1st is 23:00 UTC
    # the day before: both must fall on their local day, as a reader in that zone means the dates.
    settings.TIME_ZONE = zone
    tz = timezone.get_default_timezone()

    def at(insight: Any, *when: int) -> None:
        type(insight).objects.filter(pk=insight.pk).update(submitted_at=dt.datetime(*when, tzinfo=tz))

    at(loop["a1"], 2026, 1, 1, 0, 0)  # first moment of `since`: in
    at(loop["a2"], 2026, 1, 31, 23, 30)  # late on `until`: in
    at(loop["b1"], 2026, 2, 1, 0, 0)  # first moment after `until`: out
    report = build_loop_report(world["lena"], since=dt.date(2026, 1, 1), until=dt.date(2026, 1, 31))
    assert report.total.reviewed == 2
    assert build_loop_report(world["lena"], since=dt.date(2026, 1, 2)).total.reviewed == 2  # a2 and b1
    assert build_loop_report(world["lena"], until=dt.date(2025, 12, 31)).total.reviewed == 0


# ---- permissions ---------------------------------------------------------------------------------------------


def test_it_shows_msls_only_themes_built_from_insights_they_may_see(world, loop):
    assert set(Theme.objects.restrict(world["alice"], "view")) == {loop["onc"]}
    assert set(Theme.objects.restrict(world["bob"], "view")) == {loop["cardio"]}
    assert set(Theme.objects.restrict(world["lena"], "view")) == {loop["onc"], loop["cardio"]}
    assert not Theme.objects.restrict(world["dave"], "view").exists()


def test_it_shows_everyone_only_their_own_notifications(world, loop, acting):
    with acting(world["lena"]):
        actions.create_action(
            loop["onc"],
            acting_user=world["lena"],
            title="A",
            due_date=dt.date(2030, 1, 1),
            owner_function="HEOR",
        )
    assert Notification.objects.restrict(world["alice"], "view").count() == 1
    assert not Notification.objects.restrict(world["mona"], "view").exists()
    assert not Notification.objects.restrict(world["lena"], "view").exists()


# ---- API -----------------------------------------------------------------------------------------------------


def test_it_runs_the_loop_through_the_api(world, loop, api):
    lena, alice = api("lena"), api("alice")
    r = lena.post(
        "/insight-ratings", {"insight": str(loop["a2"].uuid), "specific": 4, "actionable": 5, "new": True}
    )
    assert r.status_code == 201, r.content
    r = lena.post(
        "/insight-themes",
        {
            "name": "Reflex testing",
            "therapeutic_area": str(world["oncology"].uuid),
            "insights": [str(loop["a2"].uuid)],
        },
    )
    assert r.status_code == 201, r.content
    theme = r.json()["uuid"]
    r = lena.post(
        "/actions",
        {"theme": theme, "title": "Pilot", "owner_user": str(world["mona"].uuid), "due_date": "2030-02-01"},
    )
    assert r.status_code == 201, r.content
    action = r.json()["uuid"]
    assert lena.patch(f"/actions/{action}", {"status": "in_progress"}).json()["status"] == "in_progress"
    r = lena.post(f"/actions/{action}/complete", {"outcome": "Pilot running"})
    assert r.json()["status"] == "done"
    unread = alice.get("/notifications", unread=True).json()
    assert unread["count"] == 2
    first = unread["items"][0]["uuid"]
    assert alice.post(f"/notifications/{first}/read").json()["read_at"] is not None
    assert alice.post("/notifications/read-all").json() == {"marked": 1}
    report = lena.get("/insight-action-report").json()
    assert report["total"]["fed_action"] == 1 and "rate" in report["definitions"]


def test_it_answers_bad_input_and_other_roles_with_json_errors(world, loop, api):
    lena, dave, bob = api("lena"), api("dave"), api("bob")
    r = lena.post(
        "/insight-ratings", {"insight": str(loop["a1"].uuid), "specific": 9, "actionable": 1, "new": True}
    )
    assert r.status_code == 422
    r = lena.post("/actions", {"theme": str(loop["onc"].uuid), "title": "X", "due_date": "2030-01-01"})
    assert r.status_code == 422 and "owner" in str(detail_of(r))
    assert dave.get("/actions").status_code == 403
    assert dave.get("/notifications").status_code == 403
    assert bob.get(f"/insight-themes/{loop['onc'].uuid}").status_code == 404
    assert (
        api("alice")
        .post(
            "/actions",
            {
                "theme": str(loop["onc"].uuid),
                "title": "X",
                "due_date": "2030-01-01",
                "owner_function": "HEOR",
            },
        )
        .status_code
        == 403
    )


def test_it_lists_only_visible_insights_of_a_theme_in_the_api(world, loop, api, acting):
    # A theme can hold insights of two oncology teams' authors; bob sees none of alice's.
    with acting(world["lena"]):
        actions.update_theme(loop["cardio"], acting_user=world["lena"], name="Cardio access 2")
    body = api("alice").get(f"/insight-themes/{loop['onc'].uuid}").json()
    assert body["insights"] == [str(loop["a1"].uuid)] and body["hidden_insights"] == 0


# ---- pages ---------------------------------------------------------------------------------------------------


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_it_renders_the_pages_for_a_reviewer_and_creates_an_action_from_the_theme_page(world, loop):
    c = _client(world["lena"])
    assert c.get("/loop/").status_code == 200
    page = c.get(f"/loop/themes/{loop['onc'].uuid}/")
    assert page.status_code == 200 and b"Turn this theme into an action" in page.content
    r = c.post(
        f"/loop/themes/{loop['onc'].uuid}/",
        {
            "form": "action",
            "title": "Web action",
            "owner_function": "Medical Education",
            "due_date": "2030-03-01",
        },
    )
    assert r.status_code == 302, r.content[:2000]
    action = InsightAction.objects.get(title="Web action")
    r = c.post(
        f"/loop/actions/{action.uuid}/", {"form": "complete", "status": "done", "outcome": "Webinar held"}
    )
    assert r.status_code == 302
    report = c.get("/loop/report/")
    assert report.status_code == 200 and b"<svg" in report.content and b"Oncology East" in report.content
    assert c.get("/loop/report.csv").content.startswith(b"group,label,reviewed")


def test_it_shows_the_msl_an_unread_badge_and_the_outcome_in_the_inbox(world, loop, acting):
    with acting(world["lena"]):
        action = actions.create_action(
            loop["onc"],
            acting_user=world["lena"],
            title="A",
            due_date=dt.date(2030, 1, 1),
            owner_function="HEOR",
        )
        actions.complete_action(action, acting_user=world["lena"], outcome="Guideline updated")
    c = _client(world["alice"])
    home = c.get("/")
    assert b"2 unread notifications" in home.content
    inbox = c.get("/loop/inbox/")
    assert b"Guideline updated" in inbox.content
    assert c.get(f"/loop/actions/{action.uuid}/").status_code == 200
    assert _client(world["bob"]).get(f"/loop/actions/{action.uuid}/").status_code == 404
    assert _client(world["dave"]).get("/loop/").status_code == 403


def test_it_rates_from_the_review_card_panel(world, loop):
    c = _client(world["lena"])
    url = f"/loop/insights/{loop['a1'].uuid}/rate/"
    assert b"Rate" in c.get(url).content
    prefix = f"rate-{str(loop['a1'].uuid)[:8]}"
    r = c.post(
        url,
        {f"{prefix}-specific": "4", f"{prefix}-actionable": "5", f"{prefix}-new": "yes"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and b"specific 4/5" in r.content
    r = c.post(url, {f"{prefix}-specific": "7"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422
