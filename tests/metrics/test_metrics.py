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
from liaison.metrics import drilldown, insight_flow, reach
from liaison.metrics.dashboard import dashboard
from liaison.metrics.definitions import ORDER, Metric
from liaison.metrics.filters import InvalidFilters, parse_filters


def _metric(user: Any, key: str, **filters: Any) -> Metric:
    # Every area unless a test names one (the default is the user's own area: tested on its own below).
    f = parse_filters(user, {"area": "", **filters})
    return dashboard(user, f, (key,))[0]


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

    # tier, KOLs, planned, made, at plan, coverage; then plans from KOL plans, territory plans, the default
    assert m.rows == [["Tier 1 (national/international)", 1, 3, 1, 0, "0%", 0, 0, 1]]
    assert m.headline.startswith("0% of 1 tiered KOLs")


def test_it_counts_the_kol_at_plan_after_three_visits(world, tier_1, interaction, system_context):
    _interaction(world["alice"], hcps=[tier_1])
    _interaction(world["alice"], hcps=[tier_1], days_ago=30)

    m = _metric(world["mona"], "kol_coverage")

    assert m.rows[0][3:6] == [3, 1, "100%"]


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

    assert m.rows[0][:5] == ["Oncology", 2, 1, "0.50", "0%"]


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


def test_a_manager_gets_the_teams_ae_sla_without_opening_its_reports(world, system_context, settings):
    from liaison.metrics.drilldown import drill
    from liaison.safety.models import SafetyReport

    settings.SAFETY_SLA_HOURS = 24
    now = timezone.now()
    day0 = now - dt.timedelta(days=3)
    # alice is in mona's team (Oncology East), bob in another one (Cardio West)
    SafetyReport.objects.create(
        reported_by=world["alice"], day_zero=day0, trigger="manual", acknowledged_at=day0
    )
    SafetyReport.objects.create(reported_by=world["alice"], day_zero=day0, trigger="manual")
    SafetyReport.objects.create(
        reported_by=world["bob"], day_zero=day0, trigger="manual", acknowledged_at=day0
    )

    m = _metric(world["mona"], "ae_sla")

    # within, late, overdue, pending: the team's two reports
    assert [row[1] for row in m.rows] == [1, 0, 1, 0]
    assert m.headline != "n/a (0 of 0)"
    assert not SafetyReport.objects.restrict(world["mona"], "view").exists()  # she still opens none of them
    result = drill(world["mona"], "ae_sla", parse_filters(world["mona"], {"area": ""}))
    assert result.total == 2 and all(url == "" for _, url in result.rows)


def test_the_default_area_is_the_users_own_and_an_empty_area_means_every_area(world):
    mona, lena = world["mona"], world["lena"]

    assert parse_filters(mona, {}).area == mona.team.therapeutic_area == world["oncology"]
    assert parse_filters(mona, {"area": ""}).area is None
    assert parse_filters(mona, {"area": world["cardio"].code}).area == world["cardio"]
    assert parse_filters(lena, {}).area is None  # no team area, not exactly one assigned area: every area


def test_it_says_in_words_when_no_kol_feedback_was_recorded(world):
    # KOL feedback is recorded now (engagement.HcpFeedback; figures in tests/engagement/test_hcp_feedback.py).
    m = _metric(world["lena"], "kol_feedback")

    assert m.available is True
    assert m.headline == "No KOL feedback recorded in the period (0 interactions)"


def test_it_reports_insight_to_action_as_the_loops_report_does(world, interaction, system_context):
    from liaison.insights.models import Insight
    from liaison.loop.models import InsightAction, Theme
    from liaison.loop.queries import build_loop_report

    now = timezone.now()
    Insight.objects.filter(interaction=interaction).update(
        status="reviewed", submitted_at=now - dt.timedelta(days=10), therapeutic_area=world["oncology"]
    )
    insight = Insight.objects.get(interaction=interaction)
    theme = Theme.objects.create(name="Access", therapeutic_area=world["oncology"], created_by=world["lena"])
    theme.insights.add(insight)
    InsightAction.objects.create(
        theme=theme, title="Payer dossier", due_date=now.date(), created_by=world["lena"]
    )

    m = _metric(world["lena"], "insight_to_action")

    report = build_loop_report(world["lena"], since=now.date() - dt.timedelta(days=89), until=now.date())
    assert m.available is True
    assert [row[:4] for row in m.rows] == [["Oncology", 1, 1, "100%"]]
    assert m.rows[0][4] == report.by_area[0].median_days_to_action
    assert m.headline.startswith("100% of 1 reviewed insights fed an action")


@pytest.mark.parametrize("name", ["dave", "alice", "iris", "carla"])
def test_it_refuses_roles_other_than_managers(world, name):
    with pytest.raises(PermissionDenied):
        dashboard(world[name], parse_filters(world[name], {}))


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
    with pytest.raises(InvalidFilters) as exc:
        parse_filters(world["lena"], values)

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
    assert html.count('class="card metric"') == len(ORDER)
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
    assert [m["key"] for m in ok.json()["metrics"]] == list(ORDER)
    assert one.json()["rows"] == [["Tier 1 (national/international)", 1, 3, 1, 0, "0%", 0, 0, 1]]
    assert api("dave").get("/metrics").status_code == 403
    assert api("mona").get("/metrics/nope").status_code == 404
    bad = api("mona").get("/metrics", team="x")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "team"]


# ---- KOL coverage against engagement plans ---------------------------------------------------------------------
# Fixed dates: Q1 2025 has 90 days (1 January to 31 March).


def _visit(owner: Any, hcp: Any, day: dt.date) -> Any:
    from liaison.engagement.models import Interaction, InteractionAttendee

    interaction = Interaction.objects.create(
        owner=owner,
        occurred_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
        channel="in_person",
        purpose="scientific_exchange",
        initiation="proactive",
        status="submitted",
    )
    InteractionAttendee.objects.create(interaction=interaction, hcp=hcp)
    return interaction


def _plan(acting: Any, owner: Any, **kw: Any) -> Any:
    from liaison.planning.actions import create_plan

    with acting(owner):
        return create_plan(acting_user=owner, year=kw.pop("year", 2025), **kw)


def _tiered(world: Any, name: str, tier: int, **kw: Any) -> Any:
    from liaison.people.models import HCP

    return HCP.objects.create(first_name=name, last_name="Tester", tier=tier, owner=world["alice"], **kw)


def _coverage(user: Any, start: str, end: str, **filters: Any) -> tuple[Metric, dict[str, list]]:
    m = _metric(user, "kol_coverage", start=start, end=end, **filters)
    f = parse_filters(user, {"start": start, "end": end, "area": "", **filters})
    cells = {row[0][0]: row[0] for row in drilldown.drill(user, "kol_coverage", f).rows}
    return m, cells


def test_a_kol_plan_half_inside_the_period_asks_half_its_visits(world, tier_1, acting, system_context):
    # Q1 plan of 4 a quarter; the period 15 February to 15 May holds 45 of its 90 days: 4 x 45/90 = 2.
    _plan(acting, world["alice"], kind="kol", quarter=1, hcp=tier_1, planned_per_quarter=4)
    _visit(world["alice"], tier_1, dt.date(2025, 2, 20))
    _visit(world["alice"], tier_1, dt.date(2025, 5, 2))
    _visit(world["alice"], tier_1, dt.date(2025, 5, 20))  # after the period

    m, drill = _coverage(world["mona"], "2025-02-15", "2025-05-15")

    assert m.rows == [["Tier 1 (national/international)", 1, 2, 2, 1, "100%", 1, 0, 0]]
    assert drill["Grace Hopkins"] == [
        "Grace Hopkins",
        "Tier 1 (national/international)",
        2,
        2,
        "yes",
        "KOL plan",
    ]
    assert "1 from KOL plans, 0 from territory plans, 0 default" in m.headline


def test_overlapping_kol_plans_add_up_and_the_sum_is_rounded_up(world, tier_1, acting, system_context):
    # Year plan 1 a quarter over Q1 (90 of 365 days): 4 x 90/365 = 0.99; Q1 plan of 2: 2; sum 2.99, planned 3.
    _plan(acting, world["alice"], kind="kol", hcp=tier_1, planned_per_quarter=1)
    _plan(acting, world["alice"], kind="kol", quarter=1, hcp=tier_1, planned_per_quarter=2)

    m, _ = _coverage(world["mona"], "2025-01-01", "2025-03-31")

    assert m.rows[0][2] == 3


def test_a_territory_plan_gives_each_kol_a_fair_share_of_the_tier_target(
    world, tier_1, acting, system_context
):
    from liaison.accounts.actions import save_territory
    from liaison.people.models import HCP

    east = save_territory(None, acting_user=None, name="Iowa", regions=["IA"])
    HCP.objects.filter(pk=tier_1.pk).update(territory=east)
    _tiered(world, "Ann", 1, territory=east)
    _tiered(world, "Ben", 1, territory=east)
    _tiered(world, "Gone", 1, territory=east, status="inactive")  # neither a KOL counted nor a peer
    _tiered(world, "Tia", 2, territory=east)  # tier 2 has no target in the plan: default
    _tiered(world, "Far", 1)  # no territory: default
    # 7 a quarter for tier 1 over the 3 active tier-1 HCPs: 7/3 = 2.33 each, rounded up to 3
    _plan(acting, world["alice"], kind="territory", quarter=1, territory=east, tier_targets={"1": 7})
    for _ in range(3):
        _visit(world["alice"], tier_1, dt.date(2025, 2, 1))

    m, drill = _coverage(world["mona"], "2025-01-01", "2025-03-31")

    tier_1_row, tier_2_row = m.rows
    # 3 territory shares of 3 plus Far's default of ceil(3 x 90/91) = 3; only Grace made her 3 visits
    assert tier_1_row == ["Tier 1 (national/international)", 4, 12, 3, 1, "25%", 0, 3, 1]
    assert "Gone Tester" not in drill
    assert tier_2_row[1:3] == [1, 2] and tier_2_row[6:] == [0, 0, 1]
    assert drill["Grace Hopkins"][2:] == [3, 3, "yes", "territory plan"]
    assert drill["Far Tester"][5] == "default plan"


def test_a_small_territory_share_still_asks_one_visit(world, tier_1, acting, system_context):
    from liaison.accounts.actions import save_territory
    from liaison.people.models import HCP

    east = save_territory(None, acting_user=None, name="Iowa", regions=["IA"])
    HCP.objects.filter(pk=tier_1.pk).update(territory=east)
    for name in ("Ann", "Ben", "Cy"):
        _tiered(world, name, 1, territory=east)
    _plan(acting, world["alice"], kind="territory", quarter=1, territory=east, tier_targets={"1": 1})

    _, drill = _coverage(world["mona"], "2025-01-01", "2025-01-31")  # 1 x 31/90 / 4 = 0.09

    assert drill["Grace Hopkins"][2] == 1 and drill["Grace Hopkins"][5] == "territory plan"


def test_a_kol_plan_wins_over_the_territory_plan(world, tier_1, acting, system_context):
    from liaison.accounts.actions import save_territory
    from liaison.people.models import HCP

    east = save_territory(None, acting_user=None, name="Iowa", regions=["IA"])
    HCP.objects.filter(pk=tier_1.pk).update(territory=east)
    _plan(acting, world["alice"], kind="territory", quarter=1, territory=east, tier_targets={"1": 9})
    _plan(acting, world["alice"], kind="kol", quarter=1, hcp=tier_1, planned_per_quarter=1)

    _, drill = _coverage(world["mona"], "2025-01-01", "2025-03-31")

    assert drill["Grace Hopkins"][2] == 1 and drill["Grace Hopkins"][5] == "KOL plan"


def test_plans_outside_the_period_leave_the_default_plan(world, tier_1, acting, system_context):
    _plan(acting, world["alice"], kind="kol", quarter=3, hcp=tier_1, planned_per_quarter=9)

    m, drill = _coverage(world["mona"], "2025-01-01", "2025-03-31")

    assert m.rows[0][2] == 3  # ceil(3 x 90/91): the default plan for tier 1
    assert drill["Grace Hopkins"][5] == "default plan"


def test_only_plans_the_viewer_may_see_set_the_target(world, tier_1, acting, system_context):
    # Bob (Cardio West) plans 8 a quarter with Grace; mona (Oncology East) may not see that plan.
    _plan(acting, world["bob"], kind="kol", quarter=1, hcp=tier_1, planned_per_quarter=8)
    oncology_east = world["teams"]["Oncology East"]

    mona, _ = _coverage(world["mona"], "2025-01-01", "2025-03-31")
    lena, _ = _coverage(world["lena"], "2025-01-01", "2025-03-31")
    lena_east, _ = _coverage(world["lena"], "2025-01-01", "2025-03-31", team=str(oncology_east.uuid))

    assert mona.rows[0][2] == 3 and mona.rows[0][6:] == [0, 0, 1]
    assert lena.rows[0][2] == 8 and lena.rows[0][6:] == [1, 0, 0]
    assert lena_east.rows[0][2] == 3  # the team filter narrows plans by their owner's team, like the visits


def test_kol_coverage_reads_plans_in_a_fixed_number_of_queries(
    world, tier_1, acting, system_context, django_assert_max_num_queries
):
    from liaison.accounts.actions import save_territory
    from liaison.people.models import HCP

    east = save_territory(None, acting_user=None, name="Iowa", regions=["IA"])
    for i in range(30):
        hcp = _tiered(world, f"H{i}", 1 + i % 4, territory=east if i % 2 else None)
        if i % 3 == 0:
            _plan(acting, world["alice"], kind="kol", quarter=1, hcp=hcp, planned_per_quarter=2)
    HCP.objects.filter(pk=tier_1.pk).update(territory=east)
    _plan(acting, world["alice"], kind="territory", territory=east, tier_targets={"1": 4, "2": 2})
    f = parse_filters(world["mona"], {"start": "2025-01-01", "end": "2025-03-31", "area": ""})

    with django_assert_max_num_queries(4):  # tiered HCPs, plans, territory counts, visits
        plans = reach.kol_plans(world["mona"], f)

    assert len(plans) == 31
    assert {p.source for p in plans} == {"KOL plan", "territory plan", "default plan"}


# ---- insight yield and rated quality -----------------------------------------------------------------------------


@pytest.fixture
def rated(world, hcp, acting, system_context) -> dict[str, Any]:
    """Oncology (alice): four interactions, three insights. A is rated 5/5 new by mona and 3/3 known by lena
    (means 4, 4, half new: high-value); B is rated 2/1 known by lena; C is unrated; one interaction has none.
    Cardiology (bob): one interaction with one insight rated 5/5 new by lena."""
    from liaison.insights.models import Insight
    from liaison.loop.actions import rate_insight

    def insight(owner: Any, area: Any) -> Any:
        visit = _interaction(owner, hcps=[hcp], area=area)
        return Insight.objects.create(
            author=owner,
            interaction=visit,
            therapeutic_area=area,
            text="Clinics wait three weeks for PD-L1 results.",
            status="submitted",
            submitted_at=timezone.now(),
        )

    onc, cardio = world["oncology"], world["cardio"]
    a, b, _c = (insight(world["alice"], onc) for _ in range(3))
    _interaction(world["alice"], hcps=[hcp], area=onc)
    d = insight(world["bob"], cardio)
    with acting(world["mona"]):
        rate_insight(a, acting_user=world["mona"], specific=5, actionable=5, new=True)
    with acting(world["lena"]):
        rate_insight(a, acting_user=world["lena"], specific=3, actionable=3, new=False)
        rate_insight(b, acting_user=world["lena"], specific=2, actionable=1, new=False)
        rate_insight(d, acting_user=world["lena"], specific=5, actionable=5, new=True)
    return {"a": a, "b": b, "d": d}


ONCOLOGY_RATED = ["Oncology", 4, 3, "0.75", "0%", "67%", "3.0", "2.5", "50%", "0.25"]


def test_it_rates_quality_per_area_weighing_each_insight_once(world, rated):
    m = _metric(world["lena"], "insight_yield")

    # Mean specific over insights (4 and 2), not over ratings (5, 3, 2 would give 3.3).
    assert m.columns[5:] == ["Rated", "Mean specific", "Mean actionable", "New", "High-value per interaction"]
    assert m.rows == [
        ["Cardiology", 1, 1, "1.00", "0%", "100%", "5.0", "5.0", "100%", "1.00"],
        ONCOLOGY_RATED,
        ["All areas", 5, 4, "0.80", "0%", "75%", "3.7", "3.3", "67%", "0.40"],
    ]
    assert m.headline == (
        "0.80 insights per interaction (4 from 5); 0.40 high-value per interaction (2 rated high-value)"
    )


def test_rated_quality_follows_the_area_and_team_filters_and_the_team_scope(world, rated):
    cardio_west = world["teams"]["Cardio West"]

    by_area = _metric(world["lena"], "insight_yield", area=world["oncology"].code)
    by_team = _metric(world["lena"], "insight_yield", team=str(cardio_west.uuid))
    mona = _metric(world["mona"], "insight_yield")

    assert by_area.rows == [ONCOLOGY_RATED]
    assert by_team.rows == [["Cardiology", 1, 1, "1.00", "0%", "100%", "5.0", "5.0", "100%", "1.00"]]
    assert mona.rows == [ONCOLOGY_RATED]  # bob's Cardio West insight is outside mona's team


def test_unrated_insights_show_no_mean_rather_than_zero(world, interaction, system_context):
    from liaison.insights.models import Insight

    Insight.objects.filter(interaction=interaction).update(status="submitted", submitted_at=timezone.now())

    m = _metric(world["mona"], "insight_yield")

    assert m.rows == [["Oncology", 1, 1, "1.00", "0%", "0%", "n/a", "n/a", "n/a", "0.00"]]


def test_it_says_so_when_the_viewer_may_not_see_ratings(world, rated, monkeypatch):
    from liaison.core.permissions import MATRIX
    from liaison.core.roles import Role

    monkeypatch.setitem(
        MATRIX["insight_rating"], "view", MATRIX["insight_rating"]["view"] - {Role.MSL_MANAGER}
    )

    m = _metric(world["mona"], "insight_yield")
    drill = drilldown.drill(world["mona"], "insight_yield", parse_filters(world["mona"], {"area": ""}))

    assert m.rows == [["Oncology", 4, 3, "0.75", "0%"]]
    assert m.headline.endswith("rated quality not shown: it needs view permission on insight ratings")
    assert "Rated insights" not in drill.columns


def test_the_insight_yield_drill_down_counts_rated_and_high_value_insights(world, rated):
    f = parse_filters(world["lena"], {"area": world["oncology"].code})

    drill = drilldown.drill(world["lena"], "insight_yield", f)

    assert drill.columns[-2:] == ["Rated insights", "High-value insights"]
    assert sorted(tuple(cells[-2:]) for cells, _ in drill.rows) == [(0, 0), (0, 0), (1, 0), (1, 1)]
    by_url = {url: cells for cells, url in drill.rows}
    assert by_url[f"/interactions/{rated['a'].interaction.uuid}/"][-2:] == [1, 1]


def test_insight_yield_is_two_queries_however_many_areas_and_ratings(
    world, rated, django_assert_max_num_queries
):
    f = parse_filters(world["lena"], {})

    with django_assert_max_num_queries(2):
        insight_flow.insight_yield(world["lena"], f)


def test_the_exports_carry_the_plan_sources_and_the_rating_columns(client, world, tier_1, rated):
    c = _login(client, world["lena"])

    csv_text = c.get("/metrics/export.csv").content.decode()
    pdf = c.get("/metrics/export.pdf")

    assert "Plan from KOL plans,Plan from territory plans,Default plan" in csv_text
    assert "Tier 1 (national/international),1,3,5,1,100%,0,0,1" in csv_text
    assert ",".join(map(str, ONCOLOGY_RATED)) in csv_text
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_drill_down_pages_show_the_plan_source_and_the_ratings(client, world, tier_1, rated):
    c = _login(client, world["lena"])

    kol = c.get("/metrics/kol_coverage/").content.decode()
    yield_page = c.get("/metrics/insight_yield/").content.decode()

    assert "Plan from" in kol and "default plan" in kol
    assert "High-value insights" in yield_page and "High-value per interaction" in yield_page
