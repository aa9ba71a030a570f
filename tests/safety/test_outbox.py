"""The safety outbox: written with the forward decision, delivered exactly once in effect through two channels.

Both channels are tested against real local receivers that behave like a safety database honouring
idempotency keys: a folder watched by a thread that writes acknowledgement files, and an `http.server` on
127.0.0.1 that deduplicates by `Idempotency-Key` and checks the HMAC signature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from liaison.core.models import AuditEvent
from liaison.safety import outbox
from liaison.safety.actions import triage_report
from liaison.safety.channels import FileDropChannel, WebhookChannel
from liaison.safety.models import OutboxStatus, ReportStatus, SafetyOutbox, SafetyReport

pytestmark = pytest.mark.django_db

# ---- receivers ---------------------------------------------------------------------------------------------


class FileReceiver:
    """A thread that picks up `<key>.json` drops and writes `<key>.ack.json` with a case id, once per key."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.cases: dict[str, str] = {}  # idempotency key -> case id
        self.reports: dict[str, set[str]] = {}  # report id -> case ids
        self.payloads: dict[str, dict[str, Any]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            time.sleep(0.02)

    def poll(self) -> None:
        """Process every complete drop in the folder (temporary files start with a dot and are skipped)."""
        for path in sorted(self.directory.glob("*.json")):
            if path.name.endswith(".ack.json") or path.name.startswith("."):
                continue
            key = path.name[: -len(".json")]
            payload = json.loads(path.read_text(encoding="utf-8"))
            if key not in self.cases:
                case_id = f"FILE-CASE-{len(self.cases) + 1}"
                # The acknowledgement is in place before the case counts, so wait_for() means "acked".
                tmp = self.directory / f".{key}.ack.tmp"
                tmp.write_text(json.dumps({"case_id": case_id}), encoding="utf-8")
                os.replace(tmp, self.directory / f"{key}.ack.json")
                self.payloads[key] = payload
                self.reports.setdefault(payload["report_id"], set()).add(case_id)
                self.cases[key] = case_id

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        """Block until `count` cases exist (the thread works asynchronously)."""
        deadline = time.monotonic() + timeout
        while len(self.cases) < count and time.monotonic() < deadline:
            time.sleep(0.02)

    def __enter__(self) -> FileReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class WebhookState:
    """What the HTTP receiver saw and holds; `fail_next` answers that many requests with `fail_status`."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.requests: list[dict[str, Any]] = []
        self.cases: dict[str, str] = {}
        self.reports: dict[str, set[str]] = {}
        self.fail_next = 0
        self.fail_status = 503
        self.lock = threading.Lock()


def _handler(state: WebhookState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            expected = "sha256=" + hmac.new(state.secret.encode(), body, hashlib.sha256).hexdigest()
            signed = hmac.compare_digest(self.headers.get("X-Liaison-Signature", ""), expected)
            with state.lock:
                state.requests.append({"key": key, "signed": signed, "body": json.loads(body)})
                if state.fail_next:
                    state.fail_next -= 1
                    self._answer(state.fail_status, {"detail": "safety database unavailable"})
                    return
                if not signed or not key:
                    self._answer(401, {"detail": "bad signature or no Idempotency-Key"})
                    return
                if key in state.cases:
                    self._answer(409, {"detail": "duplicate", "case_id": state.cases[key]})
                    return
                case_id = f"WEB-CASE-{len(state.cases) + 1}"
                state.cases[key] = case_id
                state.reports.setdefault(json.loads(body)["report_id"], set()).add(case_id)
                self._answer(201, {"case_id": case_id})

    return Handler


@contextmanager
def webhook_receiver(secret: str = "s3cret") -> Iterator[tuple[str, WebhookState]]:
    """A real HTTP server on 127.0.0.1 in a thread; yields (url, state)."""
    state = WebhookState(secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cases", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---- fixtures ----------------------------------------------------------------------------------------------


def raise_report(
    world: dict[str, Any], hcp: Any, acting: Any, *, hours_ago: float = 2, notes: str = ""
) -> Any:
    """A report raised by alice's attestation on an interaction `hours_ago` hours ago."""
    from liaison.engagement.actions import log_interaction

    with acting(world["alice"]):
        interaction = log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now() - dt.timedelta(hours=hours_ago),
                "channel": "phone",
                "purpose": "education",
                "ae_attestation": "yes",
                "notes": notes or "The patient developed a rash after the second infusion of Onkotrex.",
            },
        )
    return SafetyReport.objects.get(interaction=interaction)


def forward(world: dict[str, Any], report: Any, acting: Any) -> SafetyOutbox:
    """Drug safety forwards the report (no case id typed in: it goes through the outbox)."""
    with acting(world["sam"]):
        triage_report(
            report,
            acting_user=world["sam"],
            status="forwarded",
            patient_initials="JD",
            patient_age=61,
            patient_sex="F",
            suspect_product=world["product"],
            event_description="Maculopapular rash after cycle 2.",
        )
    return SafetyOutbox.objects.get(report=report)


@pytest.fixture
def forwarded(world, hcp, acting) -> SafetyOutbox:
    return forward(world, raise_report(world, hcp, acting), acting)


@pytest.fixture
def job(system_context):
    """The delivery job's audit context (the worker sets source "job")."""
    return system_context


# ---- the outbox row ----------------------------------------------------------------------------------------


def test_forwarding_writes_one_pending_outbox_row_with_the_minimal_case(world, forwarded):
    report = forwarded.report
    assert forwarded.status == OutboxStatus.PENDING and forwarded.attempts == 0
    assert forwarded.idempotency_key == f"{report.uuid}-1" and forwarded.sequence == 1
    assert forwarded.channel == "file"
    payload = forwarded.payload
    assert payload["report_id"] == str(report.uuid)
    assert payload["day_zero"] == report.day_zero.astimezone(dt.UTC).isoformat()
    assert payload["patient"] == {"initials": "JD", "age": 61, "sex": "F"}
    assert payload["product"]["name"] == "Onkotrex"
    assert payload["event"]["description"] == "Maculopapular rash after cycle 2."
    assert "rash" in payload["event"]["terms"] and "rash" in payload["excerpt"]
    assert payload["reporter"]["captured_by"] == "Alice Tester"
    assert report.acknowledged_at is None and report.status == ReportStatus.FORWARDED


def test_the_outbox_row_rolls_back_with_the_forward_decision(world, hcp, acting):
    report = raise_report(world, hcp, acting)
    with pytest.raises(RuntimeError), transaction.atomic():
        forward(world, report, acting)
        assert SafetyOutbox.objects.filter(report=report).exists()
        raise RuntimeError("the request failed after the decision")
    report.refresh_from_db()
    assert not SafetyOutbox.objects.filter(report=report).exists()
    assert report.status == ReportStatus.NEW


def test_saving_triage_again_does_not_queue_a_second_forward(world, forwarded, acting):
    report = forwarded.report
    with acting(world["sam"]):
        triage_report(report, acting_user=world["sam"], status="forwarded", note="added the outcome")
    assert SafetyOutbox.objects.filter(report=report).count() == 1


def test_a_case_id_typed_in_acknowledges_without_sending(world, hcp, acting):
    report = raise_report(world, hcp, acting)
    with acting(world["sam"]):
        triage_report(report, acting_user=world["sam"], status="forwarded", safety_case_id="ARGUS-7")
    report.refresh_from_db()
    assert report.acknowledged_at is not None and report.safety_case_id == "ARGUS-7"
    assert not SafetyOutbox.objects.filter(report=report).exists()


def crash_after_send(*args: Any, **kwargs: Any) -> None:
    """Stands in for `outbox.store_result`: the worker dies after the send, before storing its outcome."""
    raise RuntimeError("worker killed after the send, before storing the acknowledgement")


# ---- webhook ------------------------------------------------------------------------------------------------


def test_the_webhook_delivers_signed_and_stores_the_case_id(world, forwarded, job):
    with webhook_receiver() as (url, state):
        run = outbox.deliver(channel=WebhookChannel(url, "s3cret"))
    assert run.acknowledged == [forwarded.idempotency_key]
    assert len(state.requests) == 1 and state.requests[0]["signed"]
    assert state.requests[0]["key"] == forwarded.idempotency_key
    assert state.requests[0]["body"] == forwarded.payload
    forwarded.refresh_from_db()
    report = forwarded.report
    assert (forwarded.status, forwarded.case_id, forwarded.attempts) == ("acknowledged", "WEB-CASE-1", 1)
    assert report.safety_case_id == "WEB-CASE-1" and report.acknowledged_at is not None
    assert AuditEvent.objects.filter(
        object_uuid=str(report.uuid), event_type="safetyreport.acknowledged"
    ).exists()


def test_the_webhook_is_exactly_once_in_effect_across_a_crash_and_repeated_runs(
    world, forwarded, job, monkeypatch
):
    original = outbox.store_result
    with webhook_receiver() as (url, state):
        channel = WebhookChannel(url, "s3cret")
        monkeypatch.setattr(outbox, "store_result", crash_after_send)
        with pytest.raises(RuntimeError):
            outbox.deliver(channel=channel)
        forwarded.refresh_from_db()
        assert forwarded.status == OutboxStatus.PENDING and forwarded.attempts == 1
        monkeypatch.setattr(outbox, "store_result", original)
        later = timezone.now() + dt.timedelta(minutes=5)
        outbox.deliver(channel=channel, now=later)
        outbox.deliver(channel=channel, now=later + dt.timedelta(minutes=5))
    forwarded.refresh_from_db()
    assert [r["key"] for r in state.requests] == [forwarded.idempotency_key] * 2  # resent once, then done
    assert state.reports == {str(forwarded.report.uuid): {"WEB-CASE-1"}}
    assert (forwarded.status, forwarded.case_id) == ("acknowledged", "WEB-CASE-1")
    assert forwarded.report.safety_case_id == "WEB-CASE-1"


def test_the_webhook_retries_server_errors_with_backoff(world, forwarded, job, settings):
    settings.SAFETY_RETRY_SECONDS = 30
    start = timezone.now()
    with webhook_receiver() as (url, state):
        state.fail_next = 2
        channel = WebhookChannel(url, "s3cret")
        first = outbox.deliver(channel=channel, now=start)
        forwarded.refresh_from_db()
        assert first.retrying == [forwarded.idempotency_key]
        assert forwarded.status == "pending" and forwarded.last_error.startswith("HTTP 503")
        assert forwarded.next_attempt_at == start + dt.timedelta(seconds=30)
        assert outbox.deliver(channel=channel, now=start + dt.timedelta(seconds=10)).retrying == []
        outbox.deliver(channel=channel, now=start + dt.timedelta(seconds=31))
        forwarded.refresh_from_db()
        assert forwarded.attempts == 2
        assert forwarded.next_attempt_at == start + dt.timedelta(seconds=31 + 60)
        done = outbox.deliver(channel=channel, now=start + dt.timedelta(seconds=200))
    assert done.acknowledged == [forwarded.idempotency_key] and len(state.requests) == 3
    assert len(state.cases) == 1


def test_the_webhook_marks_a_refusal_failed_without_losing_the_row(world, forwarded, job):
    with webhook_receiver() as (url, state):
        run = outbox.deliver(channel=WebhookChannel(url, "wrong-secret"))
    forwarded.refresh_from_db()
    assert run.failed == [forwarded.idempotency_key]
    assert forwarded.status == OutboxStatus.FAILED and "401" in forwarded.last_error
    assert state.cases == {}


def test_the_webhook_retries_when_nothing_answers(world, forwarded, job):
    with webhook_receiver() as (url, _state):
        pass  # the server is shut down: the port refuses connections
    run = outbox.deliver(channel=WebhookChannel(url, "s3cret", timeout=2))
    forwarded.refresh_from_db()
    assert run.retrying == [forwarded.idempotency_key]
    assert forwarded.status == OutboxStatus.PENDING and "no answer" in forwarded.last_error


def test_rows_out_of_attempts_are_failed(world, forwarded, job, settings):
    settings.SAFETY_MAX_ATTEMPTS = 2
    with webhook_receiver() as (url, state):
        state.fail_next = 5
        channel = WebhookChannel(url, "s3cret")
        outbox.deliver(channel=channel)
        outbox.deliver(channel=channel, now=timezone.now() + dt.timedelta(hours=1))
    forwarded.refresh_from_db()
    assert (forwarded.status, forwarded.attempts) == ("failed", 2)


# ---- file drop ----------------------------------------------------------------------------------------------


def test_the_file_drop_writes_atomically_and_collects_the_acknowledgement(world, forwarded, job, tmp_path):
    channel = FileDropChannel(tmp_path)
    first = outbox.deliver(channel=channel)  # the safety system is not answering yet
    assert first.sent == [forwarded.idempotency_key] and first.acknowledged == []
    with FileReceiver(tmp_path) as receiver:
        receiver.wait_for(1)
        second = outbox.deliver(channel=channel)
    assert second.acknowledged == [forwarded.idempotency_key]
    names = sorted(p.name for p in tmp_path.iterdir())
    key = forwarded.idempotency_key
    assert names == [f"{key}.ack.json", f"{key}.json"]  # no temporary file left behind
    assert json.loads((tmp_path / f"{key}.json").read_text()) == forwarded.payload
    forwarded.refresh_from_db()
    assert (forwarded.status, forwarded.case_id) == ("acknowledged", "FILE-CASE-1")
    assert forwarded.report.acknowledged_at is not None


def test_the_file_drop_is_exactly_once_in_effect_across_a_crash_and_repeated_runs(
    world, hcp, acting, job, tmp_path, monkeypatch
):
    rows = [forward(world, raise_report(world, hcp, acting, hours_ago=h), acting) for h in (1, 2)]
    channel = FileDropChannel(tmp_path)
    original = outbox.store_result
    with FileReceiver(tmp_path) as receiver:
        monkeypatch.setattr(outbox, "store_result", crash_after_send)
        with pytest.raises(RuntimeError):
            outbox.deliver(channel=channel)
        monkeypatch.setattr(outbox, "store_result", original)
        receiver.wait_for(1)
        later = timezone.now() + dt.timedelta(minutes=5)
        for _ in range(3):
            outbox.deliver(channel=channel, now=later)
            receiver.wait_for(2)
            receiver.poll()
    for row in rows:
        row.refresh_from_db()
    assert [r.status for r in rows] == ["acknowledged", "acknowledged"]
    assert {str(r.report.uuid): {r.case_id} for r in rows} == receiver.reports
    assert len(receiver.cases) == 2 and len(list(tmp_path.glob("*.ack.json"))) == 2


def test_an_unwritable_drop_folder_is_retried(world, forwarded, job, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    run = outbox.deliver(channel=FileDropChannel(blocker))
    forwarded.refresh_from_db()
    assert run.retrying == [forwarded.idempotency_key]
    assert forwarded.status == "pending" and "cannot write" in forwarded.last_error


def test_the_configured_file_channel_is_used_by_default(world, forwarded, job, settings, tmp_path):
    settings.SAFETY_FORWARD_DIR = tmp_path / "drop"
    outbox.deliver()
    assert (tmp_path / "drop" / f"{forwarded.idempotency_key}.json").exists()
