"""Sign-in throttling, per account and per client address, with atomic counting.

Two counters guard every password check: one for the account named in the form ("account:<name>",
`LOGIN_THROTTLE_ATTEMPTS`, default 5) and one for the client address ("address:<ip>",
`LOGIN_THROTTLE_ADDRESS_ATTEMPTS`, default 50). An attempt *reserves* a slot on both counters in one transaction
before the password is checked, so N parallel guesses get at most the limit of password checks; a successful
sign-in gives the reservation back (the account's counter is cleared, the address's decremented). Failures stay
counted until `LOGIN_THROTTLE_SECONDS` pass without a new one.

- The account lock applies from every address (a guesser cannot dodge it by moving), the address lock to every
  account (one client cannot guess across many accounts).
- A made-up username counts on its own counter, which no real account shares, so it never locks a real account;
  it still counts toward the address. (It is locked too after enough failures, so the answer does not tell a
  guesser which usernames exist.)
- The client address is the direct peer, or, when the peer is one of `LIAISON_TRUSTED_PROXIES`, the right-most
  `X-Forwarded-For` entry that is not a trusted proxy. IPv6 clients are counted per /64 network: one host gets
  a whole /64, and could otherwise take a fresh address per attempt.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.http import HttpRequest
from django.utils import timezone

from .models import SignInThrottle

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"LIAISON_TRUSTED_PROXIES: {exc}") from exc


def trusted_proxies() -> tuple[IPNetwork, ...]:
    """The networks of `LIAISON_TRUSTED_PROXIES` (IPs or CIDRs); a malformed entry fails loudly."""
    return _networks(tuple(getattr(settings, "LIAISON_TRUSTED_PROXIES", ()) or ()))


def _parse(value: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress | None, networks: Iterable[IPNetwork]) -> bool:
    return address is not None and any(address.version == n.version and address in n for n in networks)


def _key(address: IPAddress | None, raw: str) -> str:
    if address is None:
        return (raw.strip() or "unknown")[:64]
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_address(request: HttpRequest) -> str:
    """The address sign-in attempts are counted against.

    `X-Forwarded-For` is written by the client unless a proxy of ours appends to it, so it is read only when the
    direct peer is a trusted proxy, and then from the right: each trusted proxy appended the address it saw, and
    the first entry that is not one of ours is the client. Anything to its left is the client's own invention.
    """
    raw_peer = request.META.get("REMOTE_ADDR") or ""
    peer = _parse(raw_peer)
    networks = trusted_proxies()
    if not _is_trusted(peer, networks):
        return _key(peer, raw_peer)
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client, raw_client = peer, raw_peer
    for hop in reversed(hops):
        client, raw_client = _parse(hop), hop
        if not _is_trusted(client, networks):
            break
    return _key(client, raw_client)


def account_key(username: str) -> str:
    """The counter of the account a sign-in names (case-insensitive, like account creation)."""
    return "account:" + username.strip().lower()[:150]


def address_key(address: str) -> str:
    """The counter of a client address."""
    return "address:" + address[:64]


def _limits(username: str, address: str) -> dict[str, int]:
    return {
        account_key(username): settings.LOGIN_THROTTLE_ATTEMPTS,
        address_key(address): getattr(settings, "LOGIN_THROTTLE_ADDRESS_ATTEMPTS", 50),
    }


def reserve_attempt(username: str, address: str) -> bool:
    """Take one attempt from the account's and the address's allowance, or neither; False when either is used up.

    Both counter rows are locked (in key order, so two attempts never wait on each other crosswise) and read and
    written in one transaction: on PostgreSQL by SELECT ... FOR UPDATE, on SQLite by the IMMEDIATE write
    transaction that serialises writers. Counters whose last attempt is older than the window start again at 0.
    """
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.LOGIN_THROTTLE_SECONDS)
    limits = _limits(username, address)
    with transaction.atomic():
        rows = {}
        for key in sorted(limits):
            row, _created = SignInThrottle.objects.select_for_update().get_or_create(
                key=key, defaults={"attempts": 0, "last_at": now}
            )
            if row.last_at < stale:
                row.attempts = 0
            rows[key] = row
        if any(rows[key].attempts >= limit for key, limit in limits.items()):
            return False
        for row in rows.values():
            row.attempts += 1
            row.last_at = now
            row.save(update_fields=["attempts", "last_at"])
    return True


def is_throttled(username: str, address: str) -> bool:
    """True while the account or the address has used up its attempts (a read: reserves nothing)."""
    stale = timezone.now() - dt.timedelta(seconds=settings.LOGIN_THROTTLE_SECONDS)
    limits = _limits(username, address)
    rows = SignInThrottle.objects.filter(key__in=limits, last_at__gte=stale)
    return any(row.attempts >= limits[row.key] for row in rows)


def release_attempt(username: str, address: str) -> None:
    """A successful sign-in: forget the account's failures and give the address its reserved attempt back."""
    with transaction.atomic():
        SignInThrottle.objects.filter(key=account_key(username)).delete()
        SignInThrottle.objects.filter(key=address_key(address)).update(
            attempts=Greatest(F("attempts") - 1, 0)
        )


def clear_account(username: str) -> int:
    """Lift an account's lock-out at once (an administrator's unlock); returns how many counters were removed."""
    deleted, _ = SignInThrottle.objects.filter(key=account_key(username)).delete()
    return deleted
