"""Chaos benchmark: field writes and safety forwarding survive SIGKILL of the server and its worker.

    .venv/bin/python bench/chaos.py                       # 10 writers, 30 s rounds, 5 rounds (about 6 minutes)
    .venv/bin/python bench/chaos.py --seconds 10 --rounds 2 --writers 4     # a quick check

Everything runs on 127.0.0.1 in a fresh data directory (a temporary one unless --dir): `liaison serve` with its
embedded worker on SQLite, a webhook receiver standing in for the safety database (one case per idempotency
key, like a real one), `--writers` MSLs logging interactions with adverse-event text through the real REST API
with bearer tokens, and drug safety forwarding every new report through the API. In each round, at a random
moment in its middle third (then waiting up to 5 s for a webhook request in progress, so that the worker dies
mid-delivery), the server's whole process group (gunicorn master, its workers, the Liaison worker)
is killed with SIGKILL and started again at once; writers keep going (failed requests are retried, and a write
counts as acknowledged only when the API answered 201).

Prints:
- acknowledged writes lost: interactions answered 201 that are not in the database (must be 0);
- AE reports missing: acknowledged interactions without their safety report (must be 0);
- AE reports forwarded twice: reports with more than one outbox row or more than one case at the receiver (0);
- per crash, the time from the kill until every report whose forward was acknowledged before the kill is
  acknowledged by the receiver (must be under 2 minutes);
- at the end, once the writers stop: how long drug safety took to forward the remaining reports, and how long
  the worker then took to deliver that backlog (every forwarded report must be delivered; `--drain` bounds it).
Exit code 1 when any of these fails.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LIAISON = [sys.executable, "-c", "from liaison.cli import main; main()"]
SECRET = "chaos-secret"
NOTES = [
    "The patient developed a severe rash and was hospitalised after the second infusion of Onkotrex.",
    "Grade 3 diarrhoea and dehydration two weeks after starting Onkotrex; therapy interrupted.",
    "She reported hepatitis with raised liver enzymes after three cycles of Onkotrex.",
    "A patient had anaphylaxis during the first Onkotrex infusion and needed adrenaline.",
]

SEED = """
import json, sys
from liaison.cli.common import setup_django
setup_django()
from liaison.accounts.actions import create_api_token, create_user, save_product, save_therapeutic_area
from liaison.core.context import audit_context
from liaison.people.actions import create_hcp

writers = int(sys.argv[1])
out = {"writers": []}
with audit_context(actor=None, source="cli", reason="chaos benchmark set-up"):
    area = save_therapeutic_area(None, acting_user=None, name="Oncology", mesh_tree_numbers=["C04"])
    save_product(None, acting_user=None, name="Onkotrex", generic_name="onkotrexumab", therapeutic_area=area)
    sam = create_user(username="sam", role="drug_safety")
    out["safety_token"] = create_api_token(sam, name="chaos")[1]
    for i in range(writers):
        msl = create_user(username=f"msl{i}", role="msl")
        hcp = create_hcp(acting_user=None, data={"first_name": "Grace", "last_name": f"Hopkins{i}", "owner": msl})
        out["writers"].append({"token": create_api_token(msl, name="chaos")[1], "hcp": str(hcp.uuid)})
print(json.dumps(out))
"""


# ---- the safety database stand-in ----------------------------------------------------------------------------


class Receiver:
    """Webhook receiver: checks the signature, keeps one case per idempotency key (409 for a repeat)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.cases: dict[str, str] = {}
        self.by_report: dict[str, set[str]] = {}
        self.requests = 0
        self.in_progress = 0  # requests being answered now: a kill then lands mid-delivery
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key = self.headers.get("Idempotency-Key", "")
                good = hmac.compare_digest(
                    self.headers.get("X-Liaison-Signature", ""),
                    "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
                )
                with receiver.lock:
                    receiver.in_progress += 1
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.in_progress -= 1
                    receiver.requests += 1
                    repeat = key in receiver.cases
                    if good and not repeat:
                        receiver.cases[key] = f"CASE-{len(receiver.cases) + 1}"
                        report = json.loads(body)["report_id"]
                        receiver.by_report.setdefault(report, set()).add(receiver.cases[key])
                status = 401 if not good else 409 if repeat else 201
                data = json.dumps({"case_id": receiver.cases.get(key, "")}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cases"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


# ---- clients --------------------------------------------------------------------------------------------------


def call(base: str, token: str, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
    """One API call; returns (status, JSON body) or raises OSError when the server does not answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


@dataclass
class Tally:
    """What the clients saw: acknowledged writes, and when each forward was acknowledged."""

    interactions: dict[str, list[str]] = field(default_factory=dict)  # interaction uuid -> report uuids
    forwarded: dict[str, float] = field(default_factory=dict)  # report uuid -> when the API said 200
    attempts: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # "no answer" or the HTTP status -> count
    lock: threading.Lock = field(default_factory=threading.Lock)


def writer(base: str, token: str, hcp: str, tally: Tally, stop: threading.Event, n: int) -> None:
    """Log interactions with AE text as fast as the server takes them; retry when it is down."""
    i = 0
    while not stop.is_set():
        i += 1
        note = f"{random.choice(NOTES)} (chaos writer {n}, note {i})"  # noqa: S311 - not cryptographic
        body = {
            "attendees": [hcp],
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600)),
            "channel": "phone",
            "purpose": "education",
            "ae_attestation": "yes",
            "notes": note,
        }
        try:
            status, data = call(base, token, "POST", "/api/v1/interactions", body)
        except OSError:
            status, data = 0, None
        with tally.lock:
            tally.attempts += 1
            if status == 201:
                tally.interactions[data["uuid"]] = [r["uuid"] for r in data.get("safety_reports", [])]
            else:
                kind = str(status) if status else "no answer"
                tally.errors[kind] = tally.errors.get(kind, 0) + 1
        if status != 201:
            time.sleep(0.2)


def triager(base: str, token: str, tally: Tally, stop: threading.Event) -> None:
    """Drug safety: forward every new report, oldest first."""
    while not stop.is_set():
        try:
            status, page = call(base, token, "GET", "/api/v1/safety-reports?status=new&limit=100")
            if status != 200:
                time.sleep(0.5)
                continue
            for report in page["items"]:
                if stop.is_set():
                    return
                status, _ = call(
                    base,
                    token,
                    "POST",
                    f"/api/v1/safety-reports/{report['uuid']}/triage",
                    {"status": "forwarded", "event_description": "Chaos benchmark event."},
                )
                if status == 200:
                    with tally.lock:
                        tally.forwarded.setdefault(report["uuid"], time.monotonic())
            if not page["items"]:
                time.sleep(0.5)
        except OSError:
            time.sleep(0.5)


# ---- the server -----------------------------------------------------------------------------------------------


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """`liaison serve` with its embedded worker, in its own process group (so one SIGKILL takes all of it)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [*LIAISON, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def wait_until_up(base: str, timeout: float = 120) -> float:
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/api/v1/docs", timeout=2):  # noqa: S310 - 127.0.0.1 only
                return time.monotonic() - started
        except urllib.error.HTTPError:
            return time.monotonic() - started
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not come up")


def kill_group(server: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server's whole process group: gunicorn master and workers, and the Liaison worker."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def reports(db: Path, where: str) -> set[str]:
    """Report uuids matching `where`, read straight from the SQLite file."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        rows = conn.execute(f"SELECT uuid FROM safety_safetyreport WHERE {where}")  # noqa: S608 - constants
        return {str(uuid.UUID(r[0])) for r in rows}


def acknowledged_reports(db: Path) -> set[str]:
    """Reports the safety database has acknowledged."""
    return reports(db, "acknowledged_at IS NOT NULL")


def wait_delivered(db: Path, reports: set[str], since: float, limit: float) -> float | None:
    """Seconds from `since` until every report in `reports` is acknowledged; None past `limit` seconds."""
    while True:
        missing = reports - acknowledged_reports(db)
        if not missing:
            return time.monotonic() - since
        if time.monotonic() - since > limit:
            return None
        time.sleep(0.5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=10, help="concurrent MSLs writing (default 10)")
    parser.add_argument("--seconds", type=float, default=30, help="length of a round (default 30)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, one crash each (default 5)")
    parser.add_argument("--receiver-delay", type=float, default=0.2, help="seconds the receiver takes")
    parser.add_argument("--deadline", type=float, default=120, help="delivery limit after a crash (s)")
    parser.add_argument(
        "--drain", type=float, default=900, help="limit for the final triage and delivery (s)"
    )
    parser.add_argument("--dir", type=Path, default=None, help="work here instead of a temporary folder")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)

    work = args.dir or Path(tempfile.mkdtemp(prefix="liaison-chaos-"))
    work.mkdir(parents=True, exist_ok=True)
    receiver = Receiver(args.receiver_delay)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "LIAISON_DATA_DIR": str(work / "data"),
        "LIAISON_AUDIT_KEY_FILE": str(work / "audit-keys"),
        "LIAISON_AUDIT_ANCHOR_FILE": str(work / "audit-anchors.jsonl"),
        "HTTPS": "0",
        "SAFETY_FORWARD_CHANNEL": "webhook",
        "SAFETY_WEBHOOK_URL": receiver.url,
        "SAFETY_WEBHOOK_SECRET": SECRET,
        "SAFETY_RETRY_SECONDS": "5",
    }
    env.pop("DATABASE_URL", None)
    db = work / "data" / "liaison.sqlite3"
    log = work / "serve.log"
    print(f"work folder {work}; server log {log}", flush=True)
    subprocess.run([*LIAISON, "migrate"], env=env, check=True, capture_output=True)
    seed = subprocess.run(
        [sys.executable, "-c", SEED, str(args.writers)], env=env, check=True, capture_output=True, text=True
    )
    tokens = json.loads(seed.stdout.strip().splitlines()[-1])

    server = start_server(env, port, log)
    print(f"server up in {wait_until_up(base):.1f} s", flush=True)
    tally = Tally()
    stop_writing, stop_triage = threading.Event(), threading.Event()
    threads = [
        threading.Thread(
            target=writer, args=(base, w["token"], w["hcp"], tally, stop_writing, n), daemon=True
        )
        for n, w in enumerate(tokens["writers"])
    ]
    threads.append(
        threading.Thread(target=triager, args=(base, tokens["safety_token"], tally, stop_triage), daemon=True)
    )
    for thread in threads:
        thread.start()

    crash_times: list[float | None] = []
    for round_no in range(1, args.rounds + 1):
        round_start = time.monotonic()
        time.sleep(args.seconds * random.uniform(1 / 3, 2 / 3))  # noqa: S311
        # Aim the kill at a delivery in progress (the worker waiting on the receiver), for up to 5 s.
        aim = time.monotonic()
        while receiver.in_progress == 0 and time.monotonic() - aim < 5:
            time.sleep(0.01)
        mid_delivery = receiver.in_progress > 0
        with tally.lock:
            before = set(tally.forwarded)
        in_flight = len(before - acknowledged_reports(db))
        killed_at = time.monotonic()
        kill_group(server)
        server = start_server(env, port, log)
        up = wait_until_up(base)
        took = wait_delivered(db, before, killed_at, args.deadline)
        crash_times.append(took)
        shown = f"{took:.1f} s" if took is not None else f"NOT within {args.deadline:.0f} s"
        print(
            f"round {round_no}: killed after {killed_at - round_start:.1f} s"
            + (" mid-delivery" if mid_delivery else "")
            + f", server back in {up:.1f} s; "
            f"{len(before)} reports forwarded before the crash ({in_flight} not yet delivered), "
            f"all delivered {shown} after it",
            flush=True,
        )
        time.sleep(max(0.0, args.seconds - (time.monotonic() - round_start)))

    stop_writing.set()
    for thread in threads[:-1]:
        thread.join(60)
    # Drug safety forwards what is left (a forward whose answer a crash swallowed is no longer "new" either);
    # then every forwarded report must reach the receiver.
    drained = time.monotonic()
    while reports(db, "status = 'new'") and time.monotonic() - drained < args.drain:
        time.sleep(0.5)
    stop_triage.set()
    threads[-1].join(60)
    triaged = time.monotonic()
    forwarded = reports(db, "status = 'forwarded'")
    backlog = len(forwarded - acknowledged_reports(db))
    final = wait_delivered(db, forwarded, triaged, args.drain)

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        stored = {str(uuid.UUID(r[0])) for r in conn.execute("SELECT uuid FROM engagement_interaction")}
        with_report = {
            str(uuid.UUID(r[0]))
            for r in conn.execute(
                "SELECT i.uuid FROM engagement_interaction i JOIN safety_safetyreport s ON s.interaction_id = i.id"
            )
        }
        outbox_twice = conn.execute(
            "SELECT COUNT(*) FROM (SELECT report_id FROM safety_safetyoutbox GROUP BY report_id HAVING COUNT(*) > 1)"
        ).fetchone()[0]
    kill_group(server)

    acknowledged = set(tally.interactions)
    lost = acknowledged - stored
    missing = acknowledged - with_report
    cases_twice = sum(1 for cases in receiver.by_report.values() if len(cases) > 1)
    undelivered = forwarded - acknowledged_reports(db)
    times = [t for t in crash_times if t is not None]
    reclaim_lines = log.read_text(errors="replace").count("reclaimed: worker")
    print()
    failures = ", ".join(f"{n} {kind}" for kind, n in sorted(tally.errors.items())) or "none"
    print(
        f"writes attempted {tally.attempts}, acknowledged {len(acknowledged)}, not acknowledged: {failures}"
    )
    print(f"acknowledged writes lost: {len(lost)}")
    print(f"AE reports missing: {len(missing)}")
    print(f"AE reports forwarded twice: {outbox_twice} (outbox rows), {cases_twice} (cases at the receiver)")
    print(
        f"reports forwarded {len(forwarded)}, delivered {len(forwarded) - len(undelivered)}, "
        f"webhook requests {receiver.requests}, jobs reclaimed after a crash {reclaim_lines}"
    )
    print(
        "time until every report forwarded before a crash was delivered: "
        + ", ".join(f"{t:.1f} s" if t is not None else "NOT DELIVERED" for t in crash_times)
        + (f" (max {max(times):.1f} s)" if times else "")
    )
    print(
        f"after the writes: drug safety forwarded the rest in {triaged - drained:.1f} s, leaving {backlog} "
        "to deliver: "
        + (
            f"all delivered {final:.1f} s later ({backlog / final if final else 0:.1f} reports/s)"
            if final is not None
            else f"NOT all delivered within {args.drain:.0f} s"
        )
    )
    ok = (
        not lost
        and not missing
        and outbox_twice == 0
        and cases_twice == 0
        and not undelivered
        and len(times) == len(crash_times)
        and all(t < 120 for t in times)
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
