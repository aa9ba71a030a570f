"""A real SMTP server for the tests: mail leaves through Django's SMTP backend and is read back as received.

`smtp_server` (a fixture in tests/conftest.py) starts aiosmtpd on a free local port, points Django's SMTP backend
at it for the test, and yields the server; `server.messages` are the parsed messages it received, in order.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class _Collector:
    """The aiosmtpd handler: keeps every message it accepts, parsed, with its envelope."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.received = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.received:
            self.messages.append(message)
            self.envelopes.append((str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos]))
            self.received.notify_all()
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """aiosmtpd on 127.0.0.1:`port`, running in its own thread while the test runs."""

    def __init__(self) -> None:
        self.handler = _Collector()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return list(self.handler.messages)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return list(self.handler.envelopes)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """The first `count` messages, waiting up to `timeout` seconds for them (delivery is synchronous in Django's
        backend, so this returns at once unless the sender runs elsewhere, e.g. in the worker)."""
        with self.handler.received:
            self.handler.received.wait_for(lambda: len(self.handler.messages) >= count, timeout)
        return self.messages

    @staticmethod
    def text_of(message: EmailMessage, subtype: str = "plain") -> str:
        """The text/plain (or text/html) body part of a message."""
        part = message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""
