"""The audit context: who is acting, from where, under which request or job id, and why.

Web requests, API calls, CLI commands, jobs and imports all set one. A write to an audited record without a
context raises MissingAuditContext: a regulated system must never change data anonymously.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liaison.accounts.models import User

SOURCES = ("web", "api", "cli", "job", "import", "system", "test")


class MissingAuditContext(RuntimeError):
    """A write to an audited record happened outside any audit context."""


@dataclass(frozen=True)
class AuditContext:
    actor: User | None
    source: str
    request_id: str
    reason: str = ""


_current: ContextVar[AuditContext | None] = ContextVar("liaison_audit_context", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def audit_context(
    *, actor: User | None, source: str, request_id: str | None = None, reason: str = ""
) -> Iterator[AuditContext]:
    """Run the block with `actor` acting from `source`; nested contexts replace the outer one."""
    if source not in SOURCES:
        raise ValueError(f"unknown audit source {source!r}")
    ctx = AuditContext(actor=actor, source=source, request_id=request_id or new_request_id(), reason=reason)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextmanager
def reason(text: str) -> Iterator[None]:
    """Attach a reason to every audit event written inside the block."""
    ctx = current_context()
    token = _current.set(replace(ctx, reason=text))
    try:
        yield
    finally:
        _current.reset(token)


def current_context() -> AuditContext:
    ctx = _current.get()
    if ctx is None:
        raise MissingAuditContext(
            "write to an audited record outside an audit context; wrap it in audit_context(...)"
        )
    return ctx


def peek_context() -> AuditContext | None:
    return _current.get()
