"""Jobs are leased and periodic jobs run on a clock: delivery recovers by itself after a worker dies.

The in-process tests check the rules (which RUNNING jobs are handed back, when a periodic job runs and that it
runs once); the end-to-end test kills a real `liaison worker` with SIGKILL while it waits on a slow webhook
receiver, starts another, and expects the report delivered, once, within the lease.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from liaison.core.models import PeriodicRun, WorkerHeartbeat
from liaison.core.schedule import _registry, register_periodic, run_due_periodic_jobs
from liaison.core.worker import MAX_CLAIMS, reclaim_abandoned_jobs
from liaison.safety.models import EscalationLevel, OutboxStatus, SafetyEscalation
from liaison.safety.tasks import deliver_safety_outbox

pytestmark = pytest.mark.django_db

LIAISON = [sys.executable, "-c", "from liaison.cli import main; main()"]
JOBS = DBTaskResult._meta.db_table


def running_job(
    *, worker_id: str, started_seconds_ago: float, beat_seconds_ago: float | None
) -> DBTaskResult:
    """A delivery job claimed by `worker_id`, whose last heartbeat was `beat_seconds_ago` (None: no row)."""
    result = deliver_safety_outbox.enqueue()
    job = DBTaskResult.objects.get(id=result.id)
    job.claim(worker_id)
    now = timezone.now()
    DBTaskResult.objects.filter(id=job.id).update(started_at=now - dt.timedelta(seconds=started_seconds_ago))
    if beat_seconds_ago is not None:
        beat = now - dt.timedelta(seconds=beat_seconds_ago)
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id, defaults={"started_at": beat, "beat_at": beat, "pid": 1}
        )
    return job


# ---- leases ------------------------------------------------------------------------------------------------


def test_it_hands_back_the_running_job_of_a_worker_whose_lease_ran_out(settings):
    settings.LIAISON_WORKER_LEASE_SECONDS = 30
    job = running_job(worker_id="killed", started_seconds_ago=120, beat_seconds_ago=45)
    assert reclaim_abandoned_jobs() == [str(job.id)]
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY and job.started_at is None
    assert DBTaskResult.objects.ready().filter(id=job.id).exists()  # a worker picks it up at once
    assert reclaim_abandoned_jobs() == []  # handed back once


def test_it_leaves_the_jobs_of_a_live_worker_alone_however_long_they_run(settings):
    settings.LIAISON_WORKER_LEASE_SECONDS = 30
    job = running_job(worker_id="busy", started_seconds_ago=3600, beat_seconds_ago=5)
    assert reclaim_abandoned_jobs() == []
    job.refresh_from_db()
    assert job.status == TaskResultStatus.RUNNING


def test_it_hands_back_a_job_whose_worker_never_beat_once_a_lease_has_passed(settings):
    settings.LIAISON_WORKER_LEASE_SECONDS = 30
    fresh = running_job(worker_id="plain-db-worker", started_seconds_ago=5, beat_seconds_ago=None)
    assert reclaim_abandoned_jobs() == []
    DBTaskResult.objects.filter(id=fresh.id).update(started_at=timezone.now() - dt.timedelta(seconds=31))
    assert reclaim_abandoned_jobs() == [str(fresh.id)]


def test_it_fails_a_job_that_kept_killing_its_workers(settings):
    settings.LIAISON_WORKER_LEASE_SECONDS = 30
    job = running_job(worker_id="w1", started_seconds_ago=120, beat_seconds_ago=None)
    DBTaskResult.objects.filter(id=job.id).update(worker_ids=[f"w{i}" for i in range(1, MAX_CLAIMS + 1)])
    assert reclaim_abandoned_jobs() == []
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED and "died" in job.traceback


# ---- periodic jobs ------------------------------------------------------------------------------------------


@pytest.fixture
def registry() -> Iterator[dict[str, Any]]:
    """The periodic registry, restored after the test (apps register their jobs at start-up)."""
    saved = dict(_registry)
    yield _registry
    _registry.clear()
    _registry.update(saved)


def test_a_due_periodic_job_runs_once_however_many_workers_poll(registry):
    from liaison.core.context import peek_context

    calls: list[Any] = []
    register_periodic("test.tick", 60, lambda: calls.append(peek_context()))
    now = timezone.now()
    assert "test.tick" in run_due_periodic_jobs(worker_id="a", now=now)
    assert "test.tick" not in run_due_periodic_jobs(worker_id="b", now=now + dt.timedelta(seconds=59))
    assert "test.tick" in run_due_periodic_jobs(worker_id="b", now=now + dt.timedelta(seconds=61))
    assert len(calls) == 2
    assert calls[0].source == "job" and calls[0].reason == "periodic job test.tick"
    row = PeriodicRun.objects.get(name="test.tick")
    assert row.last_worker_id == "b" and row.last_error == ""


def test_a_failing_periodic_job_keeps_its_error_and_does_not_stop_the_others(registry):
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("the receiver is down")

    register_periodic("test.a-broken", 30, broken)
    register_periodic("test.b-fine", 30, lambda: ran.append("fine"))
    names = run_due_periodic_jobs(worker_id="a")
    assert {"test.a-broken", "test.b-fine"} <= set(names) and ran == ["fine"]
    assert "the receiver is down" in PeriodicRun.objects.get(name="test.a-broken").last_error


def test_the_schedule_delivers_and_escalates_without_any_queued_job(world, hcp, acting, settings, tmp_path):
    """The forward's own job is lost (as when the server dies between the commit and the enqueue): the
    worker's schedule still delivers the report and escalates an old one."""
    from tests.safety.test_outbox import forward, raise_report

    settings.SAFETY_FORWARD_DIR = tmp_path
    row = forward(world, raise_report(world, hcp, acting, hours_ago=2), acting)
    old = raise_report(world, hcp, acting, hours_ago=30)
    DBTaskResult.objects.all().delete()
    assert "safety.deliver" in run_due_periodic_jobs(worker_id="a")
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and (tmp_path / f"{row.idempotency_key}.json").exists()
    levels = set(SafetyEscalation.objects.filter(report=old).values_list("level", flat=True))
    assert levels == {EscalationLevel.AT_RISK, EscalationLevel.OVERDUE}


def test_a_backlog_is_sent_in_parallel_to_a_slow_receiver_once_each(world, hcp, acting, system_context):
    """After an outage the backlog must drain fast: with a receiver taking 0.5 s per case, 8 reports one after
    the other would take 4 s; the outbox sends them together, and still makes one case per report."""
    from liaison.safety import outbox
    from liaison.safety.channels import WebhookChannel
    from tests.safety.test_outbox import forward, raise_report

    rows = [forward(world, raise_report(world, hcp, acting, hours_ago=1 + i / 10), acting) for i in range(8)]
    with SlowReceiver("s3cret") as receiver:
        receiver.delay = 0.5
        started = time.monotonic()
        run = outbox.deliver(channel=WebhookChannel(receiver.url, "s3cret"))
        took = time.monotonic() - started
    assert sorted(run.acknowledged) == sorted(r.idempotency_key for r in rows)
    assert took < 2.5, f"{took:.1f} s for 8 reports"
    assert sorted(receiver.cases) == sorted(r.idempotency_key for r in rows) and len(receiver.requests) == 8
    for row in rows:
        row.refresh_from_db()
        assert row.status == OutboxStatus.ACKNOWLEDGED and row.case_id == receiver.cases[row.idempotency_key]


# ---- a real worker, killed mid-delivery ---------------------------------------------------------------------


class SlowReceiver:
    """A webhook receiver on 127.0.0.1 that keeps one case per idempotency key and, while `delay` is set,
    holds every request that long (the 8-second safety database of the finding) after creating the case."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.delay = 0.0
        self.cases: dict[str, str] = {}
        self.requests: list[str] = []
        self.got_request = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key = self.headers.get("Idempotency-Key", "")
                signed = hmac.compare_digest(
                    self.headers.get("X-Liaison-Signature", ""),
                    "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest(),
                )
                with receiver.lock:
                    receiver.requests.append(key)
                    duplicate = key in receiver.cases
                    if signed and not duplicate:
                        receiver.cases[key] = f"SLOW-CASE-{len(receiver.cases) + 1}"
                receiver.got_request.set()
                time.sleep(receiver.delay)
                status = 401 if not signed else 409 if duplicate else 201
                data = json.dumps({"case_id": receiver.cases.get(key, "")}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the worker that asked was killed meanwhile
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cases"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SlowReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


SEED = """
import datetime as dt
from django.utils import timezone
from liaison.cli.common import setup_django
setup_django()
from liaison.accounts.actions import create_user, save_product, save_therapeutic_area
from liaison.core.context import audit_context
from liaison.engagement.actions import log_interaction
from liaison.people.actions import create_hcp
from liaison.safety.actions import triage_report
from liaison.safety.models import SafetyReport

with audit_context(actor=None, source="test", reason="seed"):
    area = save_therapeutic_area(None, acting_user=None, name="Oncology", mesh_tree_numbers=["C04"])
    save_product(None, acting_user=None, name="Onkotrex", generic_name="onkotrexumab", therapeutic_area=area)
    alice = create_user(username="alice", role="msl")
    sam = create_user(username="sam", role="drug_safety")
    hcp = create_hcp(acting_user=None, data={"first_name": "Grace", "last_name": "Hopkins", "owner": alice})
with audit_context(actor=alice, source="test"):
    interaction = log_interaction(acting_user=alice, attendees=[hcp], data={
        "occurred_at": timezone.now() - dt.timedelta(hours=1), "channel": "phone", "purpose": "education",
        "ae_attestation": "yes", "notes": "The patient developed a rash after Onkotrex."})
report = SafetyReport.objects.get(interaction=interaction)
with audit_context(actor=sam, source="test"):
    triage_report(report, acting_user=sam, status="forwarded", event_description="Rash.")
print(report.uuid)
"""


def _env(data_dir: Path, receiver: SlowReceiver) -> dict[str, str]:
    """The processes' environment: their own SQLite database in `data_dir` (never the suite's DATABASE_URL)."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {
        **environ,
        "DJANGO_SETTINGS_MODULE": "liaison.settings",
        "LIAISON_DATA_DIR": str(data_dir),
        "LIAISON_AUDIT_KEY_FILE": str(data_dir.parent / "audit-keys"),
        "LIAISON_AUDIT_ANCHOR_FILE": str(data_dir.parent / "anchors.jsonl"),
        "HTTPS": "0",
        "LIAISON_WORKER_LEASE_SECONDS": "3",
        "SAFETY_FORWARD_CHANNEL": "webhook",
        "SAFETY_WEBHOOK_URL": receiver.url,
        "SAFETY_WEBHOOK_SECRET": "s3cret",
        "SAFETY_WEBHOOK_TIMEOUT_SECONDS": "30",
        "SAFETY_RETRY_SECONDS": "2",
    }


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([*LIAISON, "worker", "--interval", "0.2"], env=env, stdout=out, stderr=out)


def _query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db, timeout=20) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.slow
def test_a_worker_killed_mid_delivery_is_reclaimed_and_the_report_delivered_once(tmp_path):
    data_dir = tmp_path / "data"
    db = data_dir / "liaison.sqlite3"
    log = tmp_path / "worker.log"
    with SlowReceiver("s3cret") as receiver:
        env = _env(data_dir, receiver)
        subprocess.run([*LIAISON, "migrate"], env=env, check=True, capture_output=True, timeout=300)
        seeded = subprocess.run(
            [sys.executable, "-c", SEED], env=env, check=True, capture_output=True, text=True, timeout=120
        )
        report_uuid = seeded.stdout.strip().splitlines()[-1]
        receiver.delay = 8.0
        first = _start_worker(env, log)
        try:
            assert receiver.got_request.wait(60), log.read_text()
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            first.kill()
        jobs = _query(db, f"SELECT status FROM {JOBS} WHERE task_path LIKE '%deliver%'")
        assert ("RUNNING",) in jobs  # what the finding saw: left RUNNING by the dead worker
        receiver.delay = 0.0
        restarted = time.monotonic()
        second = _start_worker(env, log)
        try:
            status = ""
            while time.monotonic() - restarted < 60:
                rows = _query(db, "SELECT status, case_id FROM safety_safetyoutbox")
                status = rows[0][0]
                if status == OutboxStatus.ACKNOWLEDGED:
                    break
                time.sleep(0.2)
            took = time.monotonic() - restarted
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
    assert status == OutboxStatus.ACKNOWLEDGED, log.read_text()
    assert took < 30, f"delivered {took:.1f} s after the restart"
    ((case_id,),) = _query(db, "SELECT case_id FROM safety_safetyoutbox")
    assert receiver.cases == {f"{report_uuid}-1": case_id}  # one case: the resend was a duplicate
    assert len(receiver.requests) == 2
    ((acknowledged_at,),) = _query(db, "SELECT acknowledged_at FROM safety_safetyreport")
    assert acknowledged_at is not None
    statuses = _query(db, f"SELECT status FROM {JOBS} WHERE status = 'RUNNING'")
    assert statuses == []  # the killed worker's job was reclaimed and finished
    assert "reclaimed" in log.read_text()


@pytest.mark.slow
def test_liaison_serve_runs_a_worker_that_delivers_forwarded_reports(tmp_path):
    """`make demo` is `liaison serve`: a report forwarded while it runs reaches the file drop with no other
    process started by hand; stopping the server stops its worker."""
    data_dir = tmp_path / "data"
    drop = tmp_path / "drop"
    with SlowReceiver("unused") as receiver:
        env = {**_env(data_dir, receiver), "SAFETY_FORWARD_CHANNEL": "file", "SAFETY_FORWARD_DIR": str(drop)}
    subprocess.run([*LIAISON, "migrate"], env=env, check=True, capture_output=True, timeout=300)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "serve.log"
    with log.open("ab") as out:
        server = subprocess.Popen(
            [*LIAISON, "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        seeded = subprocess.run(
            [sys.executable, "-c", SEED], env=env, check=True, capture_output=True, text=True, timeout=120
        )
        key = f"{seeded.stdout.strip().splitlines()[-1]}-1"
        deadline = time.monotonic() + 60
        while not (drop / f"{key}.json").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (drop / f"{key}.json").exists(), log.read_text()
        workers = _query(data_dir / "liaison.sqlite3", "SELECT pid FROM core_workerheartbeat")
        assert len(workers) == 1
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    ((pid,),) = workers
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid), "the server's worker outlived it"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.mark.slow
def test_the_demo_has_reports_in_the_outbox_that_the_worker_delivers(tmp_path):
    """`make demo` is `liaison demo` then `liaison serve`, whose worker delivers: the demo's recently forwarded
    reports reach the file drop without any manual step."""
    data_dir = tmp_path / "data"
    with SlowReceiver("unused") as receiver:
        env = {**_env(data_dir, receiver), "SAFETY_FORWARD_CHANNEL": "file"}
    env.pop("SAFETY_FORWARD_DIR", None)
    subprocess.run(
        [*LIAISON, "demo", "--size", "small"], env=env, check=True, capture_output=True, timeout=600
    )
    db = data_dir / "liaison.sqlite3"
    keys = [k for (k,) in _query(db, "SELECT idempotency_key FROM safety_safetyoutbox")]
    assert keys and _query(db, "SELECT DISTINCT status FROM safety_safetyoutbox") == [("pending",)]
    subprocess.run([*LIAISON, "worker", "--batch"], env=env, check=True, capture_output=True, timeout=300)
    drop = data_dir / "safety-outbox"
    assert sorted(p.name for p in drop.glob("*.json")) == sorted(f"{k}.json" for k in keys)
    assert _query(db, "SELECT DISTINCT status FROM safety_safetyoutbox") == [("sent",)]
