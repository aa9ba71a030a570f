"""HCP feedback on interactions: the action's rules, the audit trail, who sees it, the page form, the API and the
managers' "KOL feedback" metric built on it.

Personas: alice (MSL, Oncology East), bob (MSL, Cardio West), mona (MSL manager, Oncology East), lena (medical
lead), sam (drug safety), dave (commercial).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from api_support import detail_of
from liaison.core.models import AuditEvent
from liaison.core.permissions import PermissionDenied
from liaison.engagement.actions import record_hcp_feedback
from liaison.engagement.models import HcpFeedback, Interaction, InteractionAttendee
from liaison.metrics import drilldown
from liaison.metrics.dashboard import dashboard
from liaison.metrics.definitions import Metric
from liaison.metrics.filters import parse_filters
from liaison.safety.models import SafetyReport

MISSING = "6f1c1f43-0d37-4a4b-9f59-2c1d1d1d1d1d"


def record(acting: Any, user: Any, interaction: Any, hcp: Any, **kw: Any) -> HcpFeedback:
    args = {"value": 4, "source": "during_meeting", "received_on": timezone.localdate(), "comment": ""}
    args.update(kw)
    with acting(user):
        return record_hcp_feedback(interaction, acting_user=user, hcp=hcp, **args)


def refused_on(acting: Any, user: Any, interaction: Any, hcp: Any, **kw: Any) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        record(acting, user, interaction, hcp, **kw)
    return sorted(exc.value.message_dict)


@pytest.fixture
def other_hcp(world, system_context):
    from liaison.people.actions import create_hcp

    return create_hcp(
        acting_user=None, data={"first_name": "Linus", "last_name": "Abbott", "city": "Ames", "state": "IA"}
    )


def _interaction(owner: Any, hcps: list[Any], *, area: Any, days_ago: int = 2, status: str = "submitted"):
    interaction = Interaction.objects.create(
        owner=owner,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        channel="in_person",
        purpose="scientific_exchange",
        therapeutic_area=area,
        status=status,
    )
    for hcp in hcps:
        InteractionAttendee.objects.create(interaction=interaction, hcp=hcp)
    return interaction


# ---- the action ----------------------------------------------------------------------------------------------


def test_it_records_feedback_from_an_attendee_with_its_audit_event(world, interaction, hcp, acting):
    feedback = record(acting, world["alice"], interaction, hcp, value=5, comment="Very useful exchange.")

    assert (feedback.value, feedback.source, feedback.recorded_by) == (5, "during_meeting", world["alice"])
    assert interaction.hcp_feedback.get() == feedback
    event = AuditEvent.objects.get(event_type="hcpfeedback.created", object_uuid=str(feedback.uuid))
    assert event.actor_username == "alice"
    assert event.changes["value"] == [None, 5]


def test_recording_again_updates_the_feedback_and_audits_old_and_new(world, interaction, hcp, acting):
    first = record(acting, world["alice"], interaction, hcp, value=4)
    again = record(acting, world["alice"], interaction, hcp, value=2, source="survey", comment="Too long")

    assert again.pk == first.pk and HcpFeedback.objects.count() == 1
    event = AuditEvent.objects.get(event_type="hcpfeedback.updated", object_uuid=str(first.uuid))
    assert event.changes["value"] == [4, 2]
    assert event.changes["source"] == ["during_meeting", "survey"]
    assert event.reason == "feedback recorded again"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": 0}, "value"),
        ({"value": 6}, "value"),
        ({"value": True}, "value"),
        ({"value": "5"}, "value"),
        ({"value": 3.5}, "value"),
        ({"source": "email"}, "source"),
        ({"received_on": "2030-01-01"}, "received_on"),
        ({"received_on": dt.date.today() + dt.timedelta(days=2)}, "received_on"),
        ({"received_on": dt.date.today() - dt.timedelta(days=30)}, "received_on"),
        ({"comment": "x" * 2001}, "comment"),
        ({"comment": "nul\x00byte"}, "comment"),
    ],
)
def test_it_refuses_bad_input_on_the_field_and_saves_nothing(world, interaction, hcp, acting, change, field):
    assert refused_on(acting, world["alice"], interaction, hcp, **change) == [field]
    assert not HcpFeedback.objects.exists()


def test_it_refuses_an_hcp_who_did_not_attend(world, interaction, other_hcp, acting):
    assert refused_on(acting, world["alice"], interaction, other_hcp) == ["hcp"]


def test_it_refuses_feedback_on_a_draft(world, hcp, acting, system_context):
    draft = _interaction(world["alice"], [hcp], area=world["oncology"], status="draft")

    assert refused_on(acting, world["alice"], draft, hcp) == ["interaction"]


def test_it_accepts_the_interaction_day_and_today_as_bounds(world, hcp, acting, system_context):
    met = _interaction(world["alice"], [hcp], area=world["oncology"], days_ago=10)
    met_on = timezone.localtime(met.occurred_at).date()

    assert record(acting, world["alice"], met, hcp, received_on=met_on).received_on == met_on
    assert record(acting, world["alice"], met, hcp, received_on=timezone.localdate()).value == 4


def test_an_msl_of_another_team_cannot_record_on_the_interaction(world, interaction, hcp, acting):
    assert refused_on(acting, world["bob"], interaction, hcp) == ["interaction"]


@pytest.mark.parametrize("name", ["mona", "lena", "sam", "dave", "ada"])
def test_only_msls_record_feedback(world, interaction, hcp, acting, name):
    with pytest.raises(PermissionDenied):
        record(acting, world[name], interaction, hcp)


def test_an_adverse_event_in_the_comment_raises_a_safety_report(world, interaction, hcp, acting):
    before = SafetyReport.objects.count()
    record(
        acting,
        world["alice"],
        interaction,
        hcp,
        source="afterwards",
        comment="Liked the update; her patient on Onkotrex was hospitalised with severe neutropenia.",
    )

    report = SafetyReport.objects.order_by("-pk").first()
    assert SafetyReport.objects.count() == before + 1
    assert report.interaction == interaction and "neutropenia" in report.excerpt
    # Day 0: the day the HCP said it (the company learned of it then), never before the meeting.
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    assert report.day_zero == max(midnight, interaction.occurred_at)


def test_the_demo_feedback_comments_raise_no_safety_report():
    from liaison.demo.content import FEEDBACK_COMMENTS
    from liaison_text.ae_lexicon import detect

    assert [c for c in FEEDBACK_COMMENTS if detect(c).flagged] == []


# ---- who sees it ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("alice", True),
        ("mona", True),
        ("lena", True),
        ("carla", True),
        ("ada", True),
        ("bob", False),
        ("sam", False),
        ("iris", False),
        ("dave", False),
    ],
)
def test_feedback_follows_the_interactions_team_scope(world, interaction, hcp, acting, name, sees):
    feedback = record(acting, world["alice"], interaction, hcp)

    assert HcpFeedback.objects.restrict(world[name], "view").filter(pk=feedback.pk).exists() is sees


# ---- the interaction page ------------------------------------------------------------------------------------


def _field_block(html: str, name: str) -> str:
    """The markup of one form field's block (label, help, errors, widget), as core/_field.html renders it."""
    start = html.index(f'id="id_{name}')
    block_start = html.rindex('<div class="field', 0, start)
    return html[block_start : html.index('<div class="field', start) if name != "comment" else None]


def test_the_page_lists_feedback_and_offers_the_form_with_attendees_only(
    client, world, interaction, hcp, other_hcp, acting
):
    record(acting, world["alice"], interaction, hcp, value=5, comment="Wants the subgroup slides.")
    client.force_login(world["alice"])

    html = client.get(reverse("engagement:interaction_detail", args=[interaction.uuid])).content.decode()

    assert "HCP feedback" in html and "Wants the subgroup slides." in html and "<strong>5</strong>/5" in html
    select = _field_block(html, "hcp")
    assert str(hcp.uuid) in select and str(other_hcp.uuid) not in select


def test_a_manager_sees_the_feedback_but_no_form(client, world, interaction, hcp, acting):
    record(acting, world["alice"], interaction, hcp, value=3)
    client.force_login(world["mona"])

    html = client.get(reverse("engagement:interaction_detail", args=[interaction.uuid])).content.decode()

    assert "HCP feedback" in html and "<strong>3</strong>/5" in html
    assert reverse("engagement:interaction_feedback", args=[interaction.uuid]) not in html


def test_the_form_records_feedback(client, world, interaction, hcp):
    client.force_login(world["alice"])
    url = reverse("engagement:interaction_feedback", args=[interaction.uuid])

    response = client.post(
        url,
        {
            "hcp": str(hcp.uuid),
            "value": "4",
            "source": "afterwards",
            "received_on": timezone.localdate().isoformat(),
            "comment": "Good discussion.",
        },
    )

    assert response.status_code == 302
    feedback = HcpFeedback.objects.get()
    assert (feedback.hcp, feedback.value, feedback.source) == (hcp, 4, "afterwards")


def test_the_form_shows_the_actions_refusal_next_to_the_date(client, world, interaction, hcp):
    client.force_login(world["alice"])
    too_early = timezone.localdate() - dt.timedelta(days=20)

    response = client.post(
        reverse("engagement:interaction_feedback", args=[interaction.uuid]),
        {"hcp": str(hcp.uuid), "value": "4", "source": "survey", "received_on": too_early.isoformat()},
    )

    assert response.status_code == 422
    html = response.content.decode()
    block = _field_block(html, "received_on")
    assert "has-error" in block and "cannot be before the interaction" in block
    assert "cannot be before the interaction" not in _field_block(html, "hcp")
    assert not HcpFeedback.objects.exists()


def test_the_form_refuses_an_hcp_who_did_not_attend_next_to_the_hcp(client, world, interaction, other_hcp):
    client.force_login(world["alice"])

    response = client.post(
        reverse("engagement:interaction_feedback", args=[interaction.uuid]),
        {
            "hcp": str(other_hcp.uuid),
            "value": "9",
            "source": "survey",
            "received_on": timezone.localdate().isoformat(),
        },
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "has-error" in _field_block(html, "hcp") and "has-error" in _field_block(html, "value")
    assert not HcpFeedback.objects.exists()


@pytest.mark.parametrize("name", ["mona", "dave"])
def test_roles_that_may_not_record_get_403_from_the_form(client, world, interaction, hcp, name):
    client.force_login(world[name])

    response = client.post(
        reverse("engagement:interaction_feedback", args=[interaction.uuid]),
        {"hcp": str(hcp.uuid), "value": "4", "source": "survey", "received_on": "2030-01-01"},
    )

    assert response.status_code == 403 and not HcpFeedback.objects.exists()


def test_another_teams_msl_gets_404_from_the_form(client, world, interaction, hcp):
    client.force_login(world["bob"])

    response = client.post(
        reverse("engagement:interaction_feedback", args=[interaction.uuid]),
        {"hcp": str(hcp.uuid), "value": "4", "source": "survey", "received_on": "2030-01-01"},
    )

    assert response.status_code == 404


# ---- the API -------------------------------------------------------------------------------------------------


def _body(attendee: Any, **extra: Any) -> dict[str, Any]:
    return {
        "hcp": str(attendee.uuid),
        "value": 5,
        "source": "during_meeting",
        "received_on": timezone.localdate().isoformat(),
        "comment": "Asked for the poster.",
        **extra,
    }


def test_the_api_records_lists_and_updates_feedback(api, world, interaction, hcp):
    alice = api("alice")
    path = f"/interactions/{interaction.uuid}/feedback"

    created = alice.post(path, _body(hcp))
    updated = alice.post(path, _body(hcp, value=3, source="survey"))
    listed = api("mona").get(path)

    assert created.status_code == 201, created.content
    assert created.json()["value"] == 5 and created.json()["interaction"] == str(interaction.uuid)
    assert updated.status_code == 200 and updated.json()["uuid"] == created.json()["uuid"]
    assert listed.status_code == 200
    assert [(f["hcp"]["uuid"], f["value"], f["source"]) for f in listed.json()] == [
        (str(hcp.uuid), 3, "survey")
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": 7}, "value"),
        ({"value": "lots"}, "value"),
        ({"source": "email"}, "source"),
        ({"received_on": "2001-01-01"}, "received_on"),
        ({"received_on": "soon"}, "received_on"),
        ({"hcp": MISSING}, "hcp"),
    ],
)
def test_the_api_answers_422_naming_the_field(api, world, interaction, hcp, change, field):
    response = api("alice").post(f"/interactions/{interaction.uuid}/feedback", _body(hcp, **change))

    assert response.status_code == 422
    assert ["body", field] in [d["loc"] for d in detail_of(response)]
    assert not HcpFeedback.objects.exists()


def test_the_api_answers_422_for_an_hcp_who_did_not_attend(api, world, interaction, other_hcp):
    response = api("alice").post(f"/interactions/{interaction.uuid}/feedback", _body(other_hcp))

    assert response.status_code == 422
    assert detail_of(response)[0]["loc"] == ["body", "hcp"]


def test_the_api_answers_400_for_a_body_that_is_not_json(api, world, interaction):
    response = api("alice").post(f"/interactions/{interaction.uuid}/feedback", raw="{not json")

    assert response.status_code == 400 and detail_of(response)


def test_the_api_hides_other_teams_interactions_and_missing_ones_alike(api, world, interaction, hcp):
    bob = api("bob")

    for path in (f"/interactions/{interaction.uuid}/feedback", f"/interactions/{MISSING}/feedback"):
        assert bob.get(path).status_code == 404
        assert bob.post(path, _body(hcp)).status_code == 404


@pytest.mark.parametrize(
    ("name", "method"), [("dave", "get"), ("dave", "post"), ("sam", "get"), ("mona", "post")]
)
def test_the_api_answers_403_to_roles_without_the_resource(api, world, interaction, hcp, name, method):
    client = api(name)
    path = f"/interactions/{interaction.uuid}/feedback"

    response = client.get(path) if method == "get" else client.post(path, _body(hcp))

    assert response.status_code == 403 and detail_of(response)
    assert not HcpFeedback.objects.exists()


# ---- the metric ----------------------------------------------------------------------------------------------


@pytest.fixture
def feedback_world(world, interaction, hcp, other_hcp, acting, system_context):
    """Oncology (alice): three interactions in the period, two with feedback (5; 4 and 2), and one 200 days ago
    with feedback 1 (outside the default 90 days). Cardiology (bob): two interactions, one with feedback 3."""
    onc, cardio = world["oncology"], world["cardio"]
    alice, bob = world["alice"], world["bob"]
    both = _interaction(alice, [hcp, other_hcp], area=onc, days_ago=5)
    _interaction(alice, [hcp], area=onc, days_ago=6)
    old = _interaction(alice, [hcp], area=onc, days_ago=200)
    bobs = _interaction(bob, [other_hcp], area=cardio, days_ago=3)
    _interaction(bob, [hcp], area=cardio, days_ago=4)
    record(acting, alice, interaction, hcp, value=5)
    record(acting, alice, both, hcp, value=4, source="survey", comment="Wanted more on dosing schedules.")
    record(acting, alice, both, other_hcp, value=2, source="afterwards")
    record(acting, alice, old, hcp, value=1, received_on=timezone.localdate() - dt.timedelta(days=190))
    record(acting, bob, bobs, other_hcp, value=3)
    return {"both": both, "bobs": bobs, "old": old}


def _metric(user: Any, **filters: Any) -> Metric:
    return dashboard(user, parse_filters(user, filters), ("kol_feedback",))[0]


def test_the_metric_matches_hand_computed_figures(world, feedback_world):
    m = _metric(world["lena"])

    assert m.available is True
    assert m.columns[:6] == [
        "Area",
        "Interactions",
        "With feedback",
        "Share",
        "Feedback records",
        "Mean value",
    ]
    # Mean of oncology (5 + 4 + 2) / 3 = 3.67; overall (5 + 4 + 2 + 3) / 4 = 3.5; 3 of 5 interactions had feedback.
    assert m.rows == [
        ["Cardiology", 2, 1, "50%", 1, "3.0", 0, 0, 1, 0, 0],
        ["Oncology", 3, 2, "67%", 3, "3.7", 0, 1, 0, 1, 1],
        ["All areas", 5, 3, "60%", 4, "3.5", 0, 1, 1, 1, 1],
    ]
    assert m.headline == "mean 3.5 of 5 from 4 feedback on 60% of interactions (3 of 5)"
    assert m.bars[0] == ("Cardiology", pytest.approx(0.6), "mean 3.0 of 5 (1 feedback)")
    assert m.bars[1] == ("Oncology", pytest.approx(11 / 15), "mean 3.7 of 5 (3 feedback)")


def test_the_metric_counts_only_the_managers_team_and_honours_filters(world, feedback_world):
    mona = _metric(world["mona"])
    cardio = _metric(world["lena"], area=world["cardio"].code)
    long_period = _metric(world["lena"], start=(timezone.localdate() - dt.timedelta(days=365)).isoformat())

    assert [r[0] for r in mona.rows] == ["Oncology", "All areas"]
    assert mona.headline == "mean 3.7 of 5 from 3 feedback on 67% of interactions (2 of 3)"
    assert [r[0] for r in cardio.rows] == ["Cardiology", "All areas"]
    assert long_period.rows[-1][1:6] == [6, 4, "67%", 5, "3.0"]  # the 200-day-old 1 comes in


def test_the_metric_says_clearly_when_no_feedback_was_recorded(world, interaction):
    m = _metric(world["lena"])

    assert m.available is True
    assert m.headline == "No KOL feedback recorded in the period (1 interaction)"
    assert m.rows == [
        ["Oncology", 1, 0, "0%", 0, "—", 0, 0, 0, 0, 0],
        ["All areas", 1, 0, "0%", 0, "—", 0, 0, 0, 0, 0],
    ]
    assert m.bars == [("Oncology", 0.0, "no feedback")]


def test_the_drill_down_lists_the_feedback_records_linked_to_their_interactions(world, feedback_world, hcp):
    f = parse_filters(world["lena"], {})
    result = drilldown.drill(world["lena"], "kol_feedback", f)

    assert result.total == 4
    assert result.columns == ["HCP", "Interaction", "Area", "Value", "How heard", "Received", "Comment"]
    by_value = {cells[3]: (cells, url) for cells, url in result.rows}
    assert sorted(by_value) == [2, 3, 4, 5]
    cells, url = by_value[4]
    assert cells[0] == hcp.full_name and cells[4] == "Survey" and cells[6].startswith("Wanted more")
    assert url == f"/interactions/{feedback_world['both'].uuid}/"
    assert by_value[3][1] == f"/interactions/{feedback_world['bobs'].uuid}/"


def test_the_drill_down_page_links_each_record_for_the_manager(client, world, feedback_world, hcp):
    client.force_login(world["mona"])

    html = client.get("/metrics/kol_feedback/").content.decode()

    assert f"/interactions/{feedback_world['both'].uuid}/" in html and hcp.last_name in html
    assert f"/interactions/{feedback_world['bobs'].uuid}/" not in html  # bob's team


def test_commercial_gets_nothing_of_the_feedback(client, api, world, feedback_world):
    dave = world["dave"]
    client.force_login(dave)

    assert not HcpFeedback.objects.restrict(dave, "view").exists()
    with pytest.raises(PermissionDenied):
        drilldown.drill(dave, "kol_feedback", parse_filters(dave, {}))
    assert client.get("/metrics/kol_feedback/").status_code == 403
    assert client.get(
        reverse("engagement:interaction_detail", args=[feedback_world["both"].uuid])
    ).status_code in (
        403,
        404,
    )
    assert api("dave").get(f"/interactions/{feedback_world['both'].uuid}/feedback").status_code == 403
    assert "Wanted more" not in client.get("/").content.decode()


def test_the_interaction_page_lists_each_attendees_feedback(client, world, feedback_world):
    client.force_login(world["alice"])
    url = reverse("engagement:interaction_detail", args=[feedback_world["both"].uuid])

    html = client.get(url).content.decode()

    assert len(re.findall(r"<strong>\d</strong>/5", html)) == 2
