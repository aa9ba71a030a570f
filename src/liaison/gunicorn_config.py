"""Gunicorn hooks of `liaison serve`: the server runs its own background worker, and restarts it if it dies.

`liaison serve` (without `--no-worker`) passes `--config python:liaison.gunicorn_config`. Once gunicorn's
master process is ready, a thread of it starts `liaison worker --parent-pid <master pid>` and starts it again
whenever it exits (after 1 s, backing off to 30 s while it keeps dying at once); when gunicorn stops, the
worker is stopped with it (SIGTERM: it finishes its current job). If the master itself is killed, the worker
notices its parent is gone and stops after its current job, and a new `liaison serve` starts a new one: jobs
the old one left RUNNING are reclaimed once their lease runs out (core/worker.py).

This module runs in gunicorn's master process, which never loads Django: keep it free of Django imports.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from typing import Any

logger = logging.getLogger("gunicorn.error")


class WorkerSupervisor:
    """Keeps one `liaison worker` child process running until `stop()`."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._run, name="liaison-worker-supervisor", daemon=True)

    def argv(self) -> list[str]:
        """The worker's command line: this Python, Liaison's CLI, tied to this process."""
        return [
            sys.executable,
            "-c",
            "from liaison.cli import main; main()",
            "worker",
            "--parent-pid",
            str(os.getpid()),
        ]

    def start(self) -> None:
        """Start supervising in a background thread."""
        self._thread.start()

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            started = time.monotonic()
            self._process = subprocess.Popen(self.argv())
            logger.info("Liaison worker started (pid %s)", self._process.pid)
            while self._process.poll() is None and not self._stop.is_set():
                time.sleep(0.5)
            if self._stop.is_set():
                return
            logger.warning("Liaison worker exited (code %s); starting it again", self._process.returncode)
            backoff = 1.0 if time.monotonic() - started > 60 else min(backoff * 2, 30.0)
            self._stop.wait(backoff)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the worker (it finishes its current job first, up to `timeout` seconds)."""
        self._stop.set()
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()


_supervisor: WorkerSupervisor | None = None


def when_ready(server: Any) -> None:
    """Gunicorn hook: the master is listening; start the background worker."""
    global _supervisor
    _supervisor = WorkerSupervisor()
    _supervisor.start()


def on_exit(server: Any) -> None:
    """Gunicorn hook: the master is stopping; stop the background worker with it."""
    if _supervisor is not None:
        _supervisor.stop()
