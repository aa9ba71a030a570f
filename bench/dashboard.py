"""Benchmark: the manager dashboard over a million interactions, against a naive per-object ORM loop.

    .venv/bin/python bench/dashboard.py                    # 1,000,000 interactions, 15 renders
    .venv/bin/python bench/dashboard.py --n 100000 --runs 5

What it does: migrates a temporary SQLite database, creates 2 teams, 12 MSLs, 2 managers, 6 territories, 5,000
HCPs (tiered 1-4, most in a territory), listening priorities, and then N submitted interactions spread over five
years (one attendee each, a third with an insight, a fifth with a follow-up), with what the newer metrics read:
engagement plans (yearly KOL plans for a tenth of the tiered HCPs, quarterly ones for a twentieth, territory
plans with tier targets for four territories), reviewers' ratings on three insights in five (one in five
rated twice), a theme per listening priority and year with a tenth of its reviewed insights and one action each,
and HCP feedback on one interaction in seven, all with raw INSERTs (the audit trail of the app's write
path is not what is measured here). It then times `metrics.dashboard.dashboard()` plus the page's template render
as a medical lead (every team), p50 and p95 over `--runs`, for the default period (the last 90 days), a full year
and the longest period the filters allow (3 x 366 days). Side by side it times a naive version of two metrics (KOL coverage and proactive share) that
loads each interaction as an object and counts in Python, on `--naive-n` interactions of the same database.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def setup(db: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("LIAISON_DATA_DIR", str(db.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings_test")  # plain static storage
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(n: int, seed: int = 7) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from liaison.accounts.actions import create_user, save_team, save_territory, save_therapeutic_area
    from liaison.core.context import audit_context
    from liaison.insights.actions import save_listening_priority

    rng = random.Random(seed)
    with audit_context(actor=None, source="system", reason="benchmark set-up"):
        areas = [
            save_therapeutic_area(None, acting_user=None, name=name, mesh_tree_numbers=[tree])
            for name, tree in (("Oncology", "C04"), ("Cardiology", "C14"))
        ]
        teams = [save_team(None, acting_user=None, name=f"Team {a.name}", therapeutic_area=a) for a in areas]
        msls = [
            create_user(username=f"msl{i}", role="msl", password=None, team=teams[i % 2]) for i in range(12)
        ]
        lead = create_user(username="lead", role="medical_lead", password=None)
        managers = [
            create_user(username=f"manager{i}", role="msl_manager", password=None, team=team)
            for i, team in enumerate(teams)
        ]
        territories = [
            save_territory(None, acting_user=None, name=f"Territory {i}", team=teams[i % 2]) for i in range(6)
        ]
        priorities = [
            save_listening_priority(
                None, acting_user=None, therapeutic_area=areas[i % 2], title=f"Priority {i}"
            )
            for i in range(12)
        ]
    from django.db.models import QuerySet

    from liaison.engagement.models import FollowUp, HcpFeedback, Interaction, InteractionAttendee
    from liaison.insights.models import Insight
    from liaison.loop.models import InsightAction, InsightRating, Theme
    from liaison.people.models import HCP
    from liaison.planning.models import EngagementPlan

    # HCPs through a plain QuerySet (no audit trail: not what is measured); the big tables in SQL.
    QuerySet(model=HCP).bulk_create(
        [
            HCP(
                first_name=f"First{i}",
                last_name=f"Last{i}",
                tier=rng.choice([1, 2, 3, 4, None]),
                territory=territories[i % len(territories)] if i % 5 else None,
            )
            for i in range(5000)
        ],
        batch_size=1000,
    )
    hcp_lo, hcp_hi = QuerySet(model=HCP).order_by("pk").values_list("pk", flat=True)[::4999][:2]
    owners = ",".join(str(u.pk) for u in msls)
    area_of = {u.pk: areas[u.team_id == teams[1].pk].pk for u in msls}
    span = 5 * 365 * 86400
    now = timezone.now().strftime("%Y-%m-%d %H:%M:%S")
    uid = "lower(hex(randomblob(16)))"
    rnd = "abs(random())"

    def insert(model, columns: dict[str, str], source: str) -> None:
        """INSERT ... SELECT with every other column at its default, so the SQL follows the model."""
        values = dict(columns)
        for f in model._meta.concrete_fields:
            if f.column in values or f.primary_key:
                continue
            default = f.get_default()
            values[f.column] = _literal(f, default)
        cols = ", ".join(values)
        sql = f"INSERT INTO {model._meta.db_table} ({cols}) SELECT {', '.join(values.values())} FROM {source}"
        with connection.cursor() as cur:
            cur.execute(sql)

    def _literal(field, default) -> str:
        value = field.get_db_prep_save(default, connection)
        if value is None:
            return "NULL"
        if isinstance(value, bool | int | float):
            return str(int(value) if isinstance(value, bool) else value)
        return "'" + str(value).replace("'", "''") + "'"

    with transaction.atomic():
        insert(
            Interaction,
            {
                "uuid": uid,
                "created_at": f"'{now}'",
                "updated_at": f"'{now}'",
                "owner_id": f"(json_extract('[{owners}]', '$[' || (x % 12) || ']'))",
                "occurred_at": f"datetime('{now}', '-' || ({rnd} % {span}) || ' seconds')",
                "submitted_at": "NULL",
                "channel": f'(json_extract(\'["in_person","video","phone","email"]\', \'$[\' || ({rnd} % 4) || \']\'))',
                "purpose": "'scientific_exchange'",
                "therapeutic_area_id": "NULL",
                "initiation": f"(CASE WHEN {rnd} % 3 = 0 THEN 'reactive' ELSE 'proactive' END)",
                "ae_attestation": "'no'",
                "status": "'submitted'",
            },
            f"(WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {n}) SELECT x FROM seq)",
        )
        with connection.cursor() as cur:
            for owner_pk, area_pk in area_of.items():
                cur.execute(
                    "UPDATE engagement_interaction SET therapeutic_area_id = %s, submitted_at = occurred_at "
                    "WHERE owner_id = %s",
                    [area_pk, owner_pk],
                )
        source = "engagement_interaction i"
        insert(
            InteractionAttendee,
            {
                "uuid": uid,
                "created_at": f"'{now}'",
                "updated_at": f"'{now}'",
                "interaction_id": "i.id",
                "hcp_id": f"({hcp_lo} + {rnd} % ({hcp_hi} - {hcp_lo} + 1))",
            },
            source,
        )
        insert(
            Insight,
            {
                "uuid": uid,
                "created_at": "i.occurred_at",
                "updated_at": f"'{now}'",
                "author_id": "i.owner_id",
                "interaction_id": "i.id",
                "therapeutic_area_id": "i.therapeutic_area_id",
                "listening_priority_id": f"({priorities[0].pk} + {rnd} % {len(priorities)})",
                "text": "'A field insight'",
                "status": "(CASE WHEN i.id % 2 = 0 THEN 'reviewed' ELSE 'submitted' END)",
                "submitted_at": "i.occurred_at",
            },
            source + " WHERE i.id % 3 = 0",
        )
        insert(
            FollowUp,
            {
                "uuid": uid,
                "created_at": "i.occurred_at",
                "updated_at": f"'{now}'",
                "owner_id": "i.owner_id",
                "interaction_id": "i.id",
                "description": "'Send data'",
                "due_date": "date(i.occurred_at, '+14 days')",
                "status": "(CASE WHEN i.id % 2 = 0 THEN 'done' ELSE 'open' END)",
                "completed_at": "(CASE WHEN i.id % 2 = 0 THEN datetime(i.occurred_at, '+10 days') END)",
            },
            source + " WHERE i.id % 5 = 0",
        )
        # What the newer metrics read: engagement plans (KOL coverage), reviewers' ratings (insight yield) and
        # HCP feedback (KOL feedback), in proportions a field force might have.
        this_year = timezone.localdate().year
        years = (
            f"(WITH RECURSIVE y(year) AS (SELECT {this_year - 5} UNION ALL SELECT year + 1 FROM y "
            f"WHERE year < {this_year}) SELECT year FROM y) y"
        )
        quarters = "(SELECT 1 AS q UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) q"
        plan = {"uuid": uid, "created_at": f"'{now}'", "updated_at": f"'{now}'", "year": "y.year"}
        kol_plan = {
            **plan,
            "owner_id": "(json_extract('[" + owners + "]', '$[' || (h.id % 12) || ']'))",
            "kind": "'kol'",
            "hcp_id": "h.id",
            "territory_id": "NULL",
            "planned_per_quarter": "(1 + h.id % 3)",
        }
        # A yearly plan for a tenth of the tiered HCPs, quarterly plans for another twentieth.
        insert(
            EngagementPlan,
            {**kol_plan, "quarter": "NULL"},
            f"{years}, people_hcp h WHERE h.tier IS NOT NULL AND h.id % 10 = 0",
        )
        insert(
            EngagementPlan,
            {**kol_plan, "quarter": "q.q"},
            f"{years}, {quarters}, people_hcp h WHERE h.tier IS NOT NULL AND h.id % 20 = 5",
        )
        # Yearly territory plans for four of the six territories, quarterly ones on top for the first.
        for i, territory in enumerate(territories[:4]):
            owner = next(u for u in msls if u.team_id == territory.team_id)
            territory_plan = {
                **plan,
                "owner_id": str(owner.pk),
                "kind": "'territory'",
                "hcp_id": "NULL",
                "territory_id": str(territory.pk),
                "planned_per_quarter": "NULL",
                "tier_targets": f"'{{\"1\": {60 + 10 * i}, \"2\": 40, \"3\": 20}}'",
            }
            insert(EngagementPlan, {**territory_plan, "quarter": "NULL"}, years)
            if i == 0:
                insert(EngagementPlan, {**territory_plan, "quarter": "q.q"}, f"{years}, {quarters}")
        # Ratings: the medical lead rates two insights in five, the author's team manager two in five, one in five
        # by both (so three in five are rated, some twice).
        manager_of = " ".join(
            f"WHEN {u.pk} THEN {next(m.pk for m in managers if m.team_id == u.team_id)}" for u in msls
        )
        rating = {
            "uuid": uid,
            "created_at": "n.submitted_at",
            "updated_at": f"'{now}'",
            "insight_id": "n.id",
            "specific": f"(1 + {rnd} % 5)",
            "actionable": f"(1 + {rnd} % 5)",
            "new": f"({rnd} % 2)",
        }
        insert(InsightRating, {**rating, "reviewer_id": str(lead.pk)}, "insights_insight n WHERE n.id % 5 < 2")
        insert(
            InsightRating,
            {**rating, "reviewer_id": f"(CASE n.author_id {manager_of} END)"},
            "insights_insight n WHERE n.id % 5 IN (1, 2)",
        )
        # Insight-to-action: a theme per listening priority and year holding a tenth of that year's reviewed
        # insights of the priority, each theme with one action (done, open or cancelled).
        insert(
            Theme,
            {
                "uuid": uid,
                "created_at": "y.year || '-06-01 00:00:00'",
                "updated_at": f"'{now}'",
                "name": "'Theme ' || p.id || ' ' || y.year",
                "therapeutic_area_id": "p.therapeutic_area_id",
                "listening_priority_id": "p.id",
                "description": "y.year",
                "created_by_id": str(lead.pk),
            },
            f"{years}, insights_listeningpriority p",
        )
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO loop_theme_insights (theme_id, insight_id) SELECT t.id, n.id FROM loop_theme t "
                "JOIN insights_insight n ON n.listening_priority_id = t.listening_priority_id "
                "AND strftime('%Y', n.submitted_at) = t.description WHERE n.id % 10 = 0"
            )
        insert(
            InsightAction,
            {
                "uuid": uid,
                "created_at": "t.description || '-07-01 00:00:00'",
                "updated_at": f"'{now}'",
                "theme_id": "t.id",
                "title": "'Action'",
                "owner_function": "'HEOR'",
                "due_date": "t.description || '-12-31'",
                "status": "(CASE t.id % 3 WHEN 0 THEN 'done' WHEN 1 THEN 'open' ELSE 'cancelled' END)",
                "completed_at": "(CASE t.id % 3 WHEN 0 THEN t.description || '-10-01 00:00:00' END)",
                "created_by_id": str(lead.pk),
            },
            "loop_theme t",
        )
        # Feedback from the attendee on one interaction in seven, mostly favourable.
        insert(
            HcpFeedback,
            {
                "uuid": uid,
                "created_at": "i.occurred_at",
                "updated_at": f"'{now}'",
                "interaction_id": "i.id",
                "hcp_id": "a.hcp_id",
                "recorded_by_id": "i.owner_id",
                "value": f"(json_extract('[1,2,3,3,4,4,4,5,5,5]', '$[' || ({rnd} % 10) || ']'))",
                "source": (
                    f"(json_extract('[\"during_meeting\",\"afterwards\",\"survey\"]', '$[' || ({rnd} % 3) || ']'))"
                ),
                "received_on": f"date(i.occurred_at, '+' || ({rnd} % 10) || ' days')",
            },
            "engagement_interactionattendee a JOIN engagement_interaction i ON i.id = a.interaction_id "
            "WHERE i.id % 7 = 0",
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"lead": lead}


def render_once(user, f) -> float:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from liaison.core.charts import bar_chart
    from liaison.metrics.dashboard import dashboard
    from liaison.metrics.filters import filter_choices

    started = time.perf_counter()
    cards = [(m, bar_chart(m.bars)) for m in dashboard(user, f)]
    request = RequestFactory().get("/metrics/")
    request.user = user
    render_to_string(
        "metrics/dashboard.html",
        {
            "cards": cards,
            "f": f,
            "qs": "",
            "choices": filter_choices(user),
            "values": {},
            "perms_stakeholders": False,
            "drill": None,
        },
        request=request,
    )
    return time.perf_counter() - started


def naive_once(user, f, limit: int) -> float:
    """KOL coverage and proactive share the slow way: every interaction and attendee as objects."""
    from liaison.engagement.models import Interaction
    from liaison.metrics.reach import planned_visits, tiered_hcps

    started = time.perf_counter()
    visits: dict[int, int] = {}
    proactive = 0
    for interaction in Interaction.objects.restrict(user, "view").order_by("-occurred_at")[:limit]:
        proactive += interaction.initiation == "proactive"
        for hcp in interaction.attendees.all():
            visits[hcp.pk] = visits.get(hcp.pk, 0) + 1
    for hcp in tiered_hcps(user, f):
        _ = visits.get(hcp.pk, 0) >= planned_visits(hcp.tier, f.days)
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--naive-n", type=int, default=20_000)
    parser.add_argument(
        "--insight-index",
        action="store_true",
        help="add the index on insights_insight(submitted_at) proposed to the insights app, then measure",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liaison-bench-") as tmp:
        db = Path(tmp) / "bench.sqlite3"
        setup(db)
        t0 = time.perf_counter()
        world = populate(args.n)
        print(f"populated {args.n:,} interactions in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        if args.insight_index:
            from django.db import connection

            with connection.cursor() as cur:
                cur.execute("CREATE INDEX bench_insight_submitted ON insights_insight (submitted_at)")
                cur.execute("ANALYZE")
        from django.utils import timezone

        from liaison.metrics.filters import MAX_PERIOD_DAYS, parse_filters

        lead = world["lead"]
        today = timezone.localdate()
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, SQLite"
            + (", with the proposed insight index" if args.insight_index else "")
        )
        print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'case':<52} {'p50 ms':>8} {'p95 ms':>8}")
        cases = (
            ("dashboard, last 90 days", 90),
            ("dashboard, last 365 days", 365),
            (f"dashboard, last {MAX_PERIOD_DAYS} days (max)", MAX_PERIOD_DAYS),
        )
        for label, days in cases:
            f = parse_filters(lead, {"start": (today - timedelta(days=days - 1)).isoformat()})
            render_once(lead, f)  # warm the page cache
            times = [render_once(lead, f) for _ in range(args.runs)]
            print(
                f"{label + f' ({args.n:,} interactions)':<52} {pct(times, 0.5) * 1000:>8.0f} "
                f"{pct(times, 0.95) * 1000:>8.0f}"
            )
        f = parse_filters(lead, {})
        naive = [naive_once(lead, f, args.naive_n) for _ in range(3)]
        fast_times = [render_once(lead, f) for _ in range(3)]
        print(
            f"{f'naive ORM loop, 2 metrics, {args.naive_n:,} interactions':<52} "
            f"{pct(naive, 0.5) * 1000:>8.0f} {pct(naive, 0.95) * 1000:>8.0f}"
        )
        print(
            f"{'SQL dashboard, all 10 metrics, same data':<52} {pct(fast_times, 0.5) * 1000:>8.0f} "
            f"{pct(fast_times, 0.95) * 1000:>8.0f}"
        )


if __name__ == "__main__":
    main()
