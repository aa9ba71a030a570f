"""The two ways a forwarded safety report reaches the safety database: a JSON file drop and an HTTP webhook.

A channel only moves bytes; the outbox (outbox.py) decides what to send, when to retry and what to store. Both
channels carry the outbox row's idempotency key, so the receiving side can drop a repeat; that is what makes
forwarding exactly-once in effect when Liaison resends after a crash or a lost answer.

- File drop: `<key>.json` is written atomically (temporary file, fsync, rename) into SAFETY_FORWARD_DIR; the
  safety system answers with `<key>.ack.json` holding `{"case_id": ...}`, which `collect_ack` reads.
- Webhook: a POST of the JSON with `Idempotency-Key` and `X-Liaison-Signature: sha256=<HMAC-SHA256 of the
  body with SAFETY_WEBHOOK_SECRET>`. A 2xx with a case id acknowledges; a 409 (a duplicate) with the case id
  acknowledges too; 5xx, 429, time-outs and connection errors are retried; other 4xx need an operator.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

SIGNATURE_HEADER = "X-Liaison-Signature"


class DeliveryError(Exception):
    """A send that did not reach the safety database; `retry` says whether trying again can help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Ack:
    """The safety database's acknowledgement: its case id for the report."""

    case_id: str


class Channel(Protocol):
    """What the outbox needs of a channel."""

    name: str

    def send(self, key: str, payload: dict[str, Any]) -> Ack | None:
        """Deliver `payload` under `key`; an Ack when the receiver answered at once, None when it answers
        later. Raises DeliveryError."""
        ...

    def collect_ack(self, key: str) -> Ack | None:
        """The acknowledgement for `key` if it has arrived since the send (None for synchronous channels)."""
        ...


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: canonical JSON, so a resend is byte-identical."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _case_id(data: Any) -> str:
    if isinstance(data, dict):
        value = data.get("case_id")
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()[:60]
    return ""


class FileDropChannel:
    """Writes `<key>.json` into a folder the safety system watches; reads `<key>.ack.json` back."""

    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def send(self, key: str, payload: dict[str, Any]) -> Ack | None:
        """Write the payload atomically: the safety system never sees a half-written file, and a resend
        replaces the file with identical bytes instead of adding a second one."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(body_of(payload))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.directory / f"{key}.json")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            # A full disk or a missing mount is usually temporary; the row stays pending and is retried.
            raise DeliveryError(f"cannot write to {self.directory}: {exc}", retry=True) from exc
        return self.collect_ack(key)

    def collect_ack(self, key: str) -> Ack | None:
        """The case id from `<key>.ack.json`; None while it is absent, unreadable or half-written."""
        path = self.directory / f"{key}.ack.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        case_id = _case_id(data)
        return Ack(case_id) if case_id else None


class WebhookChannel:
    """POSTs the payload to the safety system's endpoint, signed, with the idempotency key."""

    name = "webhook"

    def __init__(self, url: str, secret: str, *, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("SAFETY_WEBHOOK_URL must be an http:// or https:// address")
        self.url, self.secret, self.timeout = url, secret, timeout

    def send(self, key: str, payload: dict[str, Any]) -> Ack | None:
        """One POST; the answer decides: acknowledged, retry, or refuse (needs an operator)."""
        body = body_of(payload)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": key,
            "User-Agent": "Liaison safety outbox",
        }
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - URL checked above
                status, text = response.status, response.read(65536)
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read(65536)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise DeliveryError(f"no answer from {self.url}: {exc}", retry=True) from exc
        try:
            data = json.loads(text or b"null")
        except ValueError:
            data = None
        case_id = _case_id(data)
        if 200 <= status < 300 or status == 409:
            if case_id:
                # 409 = the receiver already holds this key: the earlier send got through and this is its case.
                return Ack(case_id)
            raise DeliveryError(f"HTTP {status} without a case_id in the answer", retry=True)
        detail = data.get("detail") if isinstance(data, dict) else None
        message = f"HTTP {status}" + (f": {detail}" if detail else "")
        retry = status >= 500 or status in (408, 425, 429)
        raise DeliveryError(message, retry=retry)

    def collect_ack(self, key: str) -> Ack | None:
        """The webhook answers synchronously; there is nothing to collect later."""
        return None


CHANNELS = ("file", "webhook")


def configured_channel(name: str | None = None) -> Channel:
    """The channel `name` (default: SAFETY_FORWARD_CHANNEL), built from the settings.

    An outbox row is delivered through the channel it was written for, so changing the setting does not send
    an already queued report twice by two routes.
    """
    from django.conf import settings

    name = name or settings.SAFETY_FORWARD_CHANNEL
    if name == "file":
        return FileDropChannel(Path(settings.SAFETY_FORWARD_DIR))
    if name == "webhook":
        return WebhookChannel(
            settings.SAFETY_WEBHOOK_URL,
            settings.SAFETY_WEBHOOK_SECRET,
            timeout=float(settings.SAFETY_WEBHOOK_TIMEOUT_SECONDS),
        )
    raise ValueError(f"SAFETY_FORWARD_CHANNEL must be 'file' or 'webhook', not {name!r}")
