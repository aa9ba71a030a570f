"""The manager dashboard: each metric's figures, the firewall, team scope, filters, drill-down and exports.

Personas: mona (MSL manager, Oncology East), lena (medical lead), alice (MSL, Oncology East), bob (MSL, Cardio
West), dave (commercial).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from liaison.core.permissions import PermissionDenied
from liaison.metrics import services


def _metric(user: Any, key: str, **filters: Any) -> services.Metric:
    f = services.parse_filters(user, filters)
    return services.dashboard(user, f, (key,))[0]


def _interaction(owner: Any, *, hcps: list[Any], initiation: str = "proactive", days_ago: int = 2, **kw: Any):
    from liaison.engagement.models import Interaction, InteractionAttendee

    interaction = Interaction.objects.create(
        owner=owner,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        channel=kw.get("channel", "in_person"),
        purpose="scientific_exchange",
        initiation=initiation,
        therapeutic_area=kw.get("area"),
        status="submitted",
    )
    for hcp in hcps:
        InteractionAttendee.objects.create(interaction=interaction, hcp=hcp)
    return interaction


@pytest.fixture
def tier_1(hcp, system_context):
    from liaison.people.models import HCP

    HCP.objects.filter(pk=hcp.pk).update(tier=1)
    hcp.refresh_from_db()
    return hcp


def test_it_counts_a_tier_1_kol_with_one_visit_as_below_a_plan_of_three(world, tier_1, interaction):
    m = _metric(world["mona"], "kol_coverage")

    assert m.rows == [["Tier 1 (national/international)", 1, 3, 1, 0, "0%"]]
    assert m.headline.startswith("0% of 1 tiered KOLs")


def test_it_counts_the_kol_at_plan_after_three_visits(world, tier_1, interaction, system_context):
    _interaction(world["alice"], hcps=[tier_1])
    _interaction(world["alice"], hcps=[tier_1], days_ago=30)

    m = _metric(world["mona"], "kol_coverage")

    assert m.rows[0][3:] == [3, 1, "100%"]


def test_it_leaves_visits_before_the_period_out(world, tier_1, interaction, system_context):
    _interaction(world["alice"], hcps=[tier_1], days_ago=200)
    start = (timezone.localdate() - dt.timedelta(days=10)).isoformat()

    assert _metric(world["mona"], "kol_coverage", start=start).rows[0][3] == 1


def test_it_splits_interactions_into_proactive_and_reactive_per_channel(world, hcp, system_context):
    _interaction(world["alice"], hcps=[hcp], channel="phone", initiation="reactive")
    _interaction(world["alice"], hcps=[hcp], channel="phone")
    _interaction(world["alice"], hcps=[hcp], channel="video")

    m = _metric(world["lena"], "proactive_share")

    assert m.rows == [["Phone", 1, 1, "50%"], ["Video call", 1, 0, "100%"]]
    assert m.headline == "67% proactive (2 of 3 interactions)"


def test_it_counts_only_the_managers_team(world, hcp, system_context):
    _interaction(world["alice"], hcps=[hcp])
    _interaction(world["bob"], hcps=[hcp])

    mona = _metric(world["mona"], "proactive_share")
    lena = _metric(world["lena"], "proactive_share")

    assert mona.rows[0][1] == 1  # alice's only: bob is in Cardio West
    assert lena.rows[0][1] == 2


def test_it_narrows_by_team_territory_and_area_filters(world, hcp, system_context):
    _interaction(world["alice"], hcps=[hcp], area=world["oncology"])
    _interaction(world["bob"], hcps=[hcp], area=world["cardio"])
    cardio_west = world["teams"]["Cardio West"]

    by_area = _metric(world["lena"], "proactive_share", area=world["cardio"].code)
    by_team = _metric(world["lena"], "proactive_share", team=str(cardio_west.uuid))

    assert by_area.rows[0][1] == 1
    assert by_team.rows[0][1] == 1


def test_it_covers_a_priority_with_a_fresh_insight_and_not_one_without(world, interaction, system_context):
    from liaison.insights.actions import save_listening_priority
    from liaison.insights.models import Insight

    save_listening_priority(None, acting_user=None, therapeutic_area=world["oncology"], title="Unheard topic")
    Insight.objects.filter(interaction=interaction).update(
        listening_priority=world["priority"], status="submitted", submitted_at=timezone.now()
    )

    m = _metric(world["lena"], "priority_coverage")

    covered = {row[0]: row[3] for row in m.rows}
    assert covered == {"Biomarker testing barriers": "yes", "Unheard topic": "no"}
    assert m.headline.startswith("1 of 2 priorities")


def test_it_computes_insight_yield_per_area(world, interaction, system_context):
    from liaison.insights.models import Insight

    Insight.objects.filter(interaction=interaction).update(status="submitted", submitted_at=timezone.now())
    _interaction(world["alice"], hcps=[], area=world["oncology"])

    m = _metric(world["mona"], "insight_yield")

    assert m.rows == [["Oncology", 2, 1, "0.50", "0%"]]


def test_it_sorts_follow_ups_into_on_time_late_overdue_and_pending(world, hcp, system_context):
    from liaison.engagement.models import FollowUp

    today, now = timezone.localdate(), timezone.now()
    alice = world["alice"]
    FollowUp.objects.create(owner=alice, description="a", due_date=today, status="done", completed_at=now)
    FollowUp.objects.create(
        owner=alice, description="b", due_date=today - dt.timedelta(days=5), status="done", completed_at=now
    )
    FollowUp.objects.create(owner=alice, description="c", due_date=today - dt.timedelta(days=3))
    FollowUp.objects.create(owner=alice, description="d", due_date=today + dt.timedelta(days=3))
    FollowUp.objects.create(owner=alice, description="e", due_date=today, status="cancelled")

    end = (today + dt.timedelta(days=10)).isoformat()
    m = _metric(world["mona"], "follow_up_timeliness", end=end)

    assert [row[1] for row in m.rows] == [1, 1, 1, 1]
    assert m.headline == "25% on time (1 of 4)"


def test_it_measures_inquiries_against_the_sla(world, system_context, settings):
    from liaison.medinfo.models import MedicalInquiry

    settings.INQUIRY_SLA_HOURS = 48
    now = timezone.now()
    base = {"captured_by": world["iris"], "channel": "email", "question": "x", "requester_name": "Dr X"}
    MedicalInquiry.objects.create(
        **base,
        received_at=now - dt.timedelta(days=5),
        status="answered",
        answered_at=now - dt.timedelta(days=4),
    )
    MedicalInquiry.objects.create(
        **base, received_at=now - dt.timedelta(days=5), status="answered", answered_at=now
    )
    MedicalInquiry.objects.create(**base, received_at=now - dt.timedelta(days=3))
    MedicalInquiry.objects.create(**base, received_at=now - dt.timedelta(hours=1))

    m = _metric(world["lena"], "inquiry_sla")

    assert [row[1] for row in m.rows] == [1, 1, 1, 1]
    assert m.headline == "33% within SLA (1 of 3)"


def test_it_measures_safety_reports_against_the_sla(world, system_context, settings):
    from liaison.safety.models import SafetyReport

    settings.SAFETY_SLA_HOURS = 24
    now = timezone.now()
    lena = world["lena"]
    day0 = now - dt.timedelta(days=3)
    SafetyReport.objects.create(reported_by=lena, day_zero=day0, trigger="manual", acknowledged_at=day0)
    SafetyReport.objects.create(reported_by=lena, day_zero=day0, trigger="manual", acknowledged_at=now)
    SafetyReport.objects.create(reported_by=lena, day_zero=day0, trigger="manual")

    m = _metric(lena, "ae_sla")

    assert [row[1] for row in m.rows] == [1, 1, 1, 0]


def test_it_marks_metrics_without_records_unavailable_rather_than_zero(world):
    m = _metric(world["lena"], "kol_feedback")

    assert m.available is False


def test_it_reports_insight_to_action_as_the_loops_report_does(world, interaction, system_context):
    from liaison.insights.models import Insight
    from liaison.loop.models import Action, Theme
    from liaison.loop.reports import build_loop_report

    now = timezone.now()
    Insight.objects.filter(interaction=interaction).update(
        status="reviewed", submitted_at=now - dt.timedelta(days=10), therapeutic_area=world["oncology"]
    )
    insight = Insight.objects.get(interaction=interaction)
    theme = Theme.objects.create(name="Access", therapeutic_area=world["oncology"], created_by=world["lena"])
    theme.insights.add(insight)
    Action.objects.create(theme=theme, title="Payer dossier", due_date=now.date(), created_by=world["lena"])

    m = _metric(world["lena"], "insight_to_action")

    report = build_loop_report(world["lena"], since=now.date() - dt.timedelta(days=89), until=now.date())
    assert m.available is True
    assert [row[:4] for row in m.rows] == [["Oncology", 1, 1, "100%"]]
    assert m.rows[0][4] == report.by_area[0].median_days_to_action
    assert m.headline.startswith("100% of 1 reviewed insights fed an action")


@pytest.mark.parametrize("name", ["dave", "alice", "iris", "carla"])
def test_it_refuses_roles_other_than_managers(world, name):
    with pytest.raises(PermissionDenied):
        services.dashboard(world[name], services.parse_filters(world[name], {}))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"start": "2025-05-01", "end": "2025-04-01"}, "start"),
        ({"start": "2019-01-01", "end": "2025-01-01"}, "start"),
        ({"team": "not-a-uuid"}, "team"),
        ({"area": "nope"}, "area"),
    ],
)
def test_it_names_the_bad_filter(world, values, field):
    with pytest.raises(services.InvalidFilters) as exc:
        services.parse_filters(world["lena"], values)

    assert field in exc.value.message_dict


# ---- pages, exports and the API ----------------------------------------------------------------------------


def _login(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def test_the_dashboard_page_shows_every_metric_with_chart_table_and_drill_link(
    client, world, tier_1, interaction
):
    response = _login(client, world["mona"]).get("/metrics/", {"area": world["oncology"].code})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="card metric"') == len(services.ORDER)
    assert "<svg" in html and "metric-table" in html
    assert "/metrics/kol_coverage/?" in html


def test_the_drill_down_lists_the_records_behind_a_metric(client, world, tier_1, interaction):
    response = _login(client, world["mona"]).get("/metrics/kol_coverage/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f"/hcps/{tier_1.uuid}/" in html and "Hopkins" in html


def test_the_dashboard_answers_400_with_the_reason_for_a_bad_filter(client, world):
    response = _login(client, world["lena"]).get("/metrics/", {"start": "nonsense"})

    assert response.status_code == 400
    assert "must be a date" in response.content.decode()


def test_commercial_users_get_403_and_no_menu_entry(client, world):
    c = _login(client, world["dave"])

    assert c.get("/metrics/").status_code == 403
    assert c.get("/metrics/export.csv").status_code == 403
    assert "/metrics/" not in c.get("/").content.decode()


def test_it_exports_csv_and_pdf(client, world, tier_1, interaction):
    c = _login(client, world["lena"])

    csv_text = c.get("/metrics/export.csv").content.decode()
    pdf = c.get("/metrics/export.pdf")

    assert "Coverage of tiered KOLs against plan" in csv_text
    assert "Tier 1 (national/international),1,3,1,0,0%" in csv_text
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_api_returns_the_metrics_and_refuses_commercial(api, world, tier_1, interaction):
    ok = api("mona").get("/metrics", area=world["oncology"].code)
    one = api("mona").get("/metrics/kol_coverage")

    assert ok.status_code == 200
    assert [m["key"] for m in ok.json()["metrics"]] == list(services.ORDER)
    assert one.json()["rows"] == [["Tier 1 (national/international)", 1, 3, 1, 0, "0%"]]
    assert api("dave").get("/metrics").status_code == 403
    assert api("mona").get("/metrics/nope").status_code == 404
    bad = api("mona").get("/metrics", team="x")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "team"]
