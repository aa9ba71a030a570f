"""`liaison safety deliver` and `liaison safety reconcile`, through click's CliRunner on the test database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from liaison.cli import main
from tests.safety.test_outbox import FileReceiver, forward, raise_report, webhook_receiver

pytestmark = pytest.mark.django_db


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_reconcile_exits_0_when_everything_is_within_the_sla(world, hcp, acting):
    raise_report(world, hcp, acting, hours_ago=2)
    result = invoke("safety", "reconcile")
    assert result.exit_code == 0, result.output
    assert "0 report(s) unacknowledged past the SLA" in result.output


def test_reconcile_lists_unacknowledged_reports_past_the_sla_and_exits_1(world, hcp, acting, settings):
    settings.SAFETY_SLA_HOURS = 24
    never_forwarded = raise_report(world, hcp, acting, hours_ago=30)
    forwarded = raise_report(world, hcp, acting, hours_ago=26)
    row = forward(world, forwarded, acting)
    raise_report(world, hcp, acting, hours_ago=3)  # within the SLA
    result = invoke("safety", "reconcile", "--json")
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["report"] for r in rows] == [str(never_forwarded.uuid), str(forwarded.uuid)]
    assert rows[0]["outbox_status"] == "" and rows[0]["hours_since_day_zero"] >= 30
    assert (rows[1]["outbox_status"], rows[1]["idempotency_key"]) == ("pending", row.idempotency_key)
    table = invoke("safety", "reconcile")
    assert table.exit_code == 1 and "2 report(s) unacknowledged past the SLA" in table.output
    assert str(never_forwarded.uuid)[:8] in table.output and str(forwarded.uuid)[:8] in table.output


def test_deliver_sends_through_the_file_drop_and_collects_the_ack(world, hcp, acting, settings, tmp_path):
    settings.SAFETY_FORWARD_DIR = tmp_path
    settings.SAFETY_SLA_HOURS = 24
    row = forward(world, raise_report(world, hcp, acting, hours_ago=30), acting)
    first = invoke("safety", "deliver")  # the safety system is not answering yet
    assert first.exit_code == 0 and "1 sent awaiting acknowledgement" in first.output
    with FileReceiver(tmp_path) as receiver:
        receiver.wait_for(1)
        second = invoke("safety", "deliver")
    assert second.exit_code == 0 and "1 acknowledged" in second.output
    row.refresh_from_db()
    assert row.status == "acknowledged" and row.case_id == "FILE-CASE-1"
    assert invoke("safety", "reconcile").exit_code == 0


def test_deliver_exits_1_on_a_refused_webhook_and_retries_it_when_asked(world, hcp, acting, settings):
    row = forward(world, raise_report(world, hcp, acting), acting)
    assert row.channel == "file"  # written for the file channel: it stays on that route
    with webhook_receiver() as (url, state):
        settings.SAFETY_FORWARD_CHANNEL = "webhook"
        settings.SAFETY_WEBHOOK_URL, settings.SAFETY_WEBHOOK_SECRET = url, "s3cret"
        second = forward(world, raise_report(world, hcp, acting), acting)  # ...this one for the webhook
        state.fail_status, state.fail_next = 400, 1
        refused = invoke("safety", "deliver")
        assert refused.exit_code == 1 and "failed" in refused.stderr
        retried = invoke("safety", "deliver", "--retry-failed")
    assert retried.exit_code == 0, retried.output
    second.refresh_from_db()
    assert second.status == "acknowledged" and second.channel == "webhook"
    assert state.reports == {str(second.report.uuid): {"WEB-CASE-1"}}
