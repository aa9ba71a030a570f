"""Validation of an event's plan fields (time zone, budget, currency, meeting link), shared by programs.actions:
each returns the clean value or raises ValidationError naming the field."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from liaison.core.validation import clean_text

MAX_BUDGET = Decimal("10000000000")


def time_zone(value: Any) -> str:
    """An IANA time-zone name the zone database knows."""
    name = clean_text(value, "time_zone", required=True, max_length=64)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError({"time_zone": f"unknown time zone {name!r} (e.g. Europe/Paris)"}) from exc
    return name


def budget(value: Any) -> Decimal | None:
    """A non-negative amount with two decimals, or None."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"budget": "must be an amount"}) from exc
    if not amount.is_finite() or amount < 0 or amount >= MAX_BUDGET:
        raise ValidationError({"budget": "must be an amount from 0 to 9,999,999,999.99"})
    return amount.quantize(Decimal("0.01"))


def currency(value: Any, budget: Decimal | None) -> str:
    """A three-letter code, upper case; required when there is a budget."""
    code = clean_text(value, "currency", max_length=3).upper()
    if code and not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise ValidationError({"currency": "must be a three-letter ISO 4217 code, e.g. EUR"})
    if budget is not None and not code:
        raise ValidationError({"currency": "a budget needs its currency"})
    return code


def meeting_link(value: Any) -> str:
    """An http(s) meeting link, or empty."""
    link = clean_text(value, "virtual_link", max_length=500)
    if link:
        try:
            URLValidator(schemes=["https", "http"])(link)
        except ValidationError as exc:
            raise ValidationError({"virtual_link": "must be an http(s) link"}) from exc
    return link


MAX_RECIPIENTS = 30
MAX_REPORT_DAYS = 90


def report_recipients(values: Any) -> list[str]:
    """Report recipients: e-mail addresses (a list, or text separated by commas, semicolons or lines),
    lower-cased and de-duplicated."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [p for chunk in values.splitlines() for p in chunk.replace(";", ",").split(",")]
    if not isinstance(values, list | tuple):
        raise ValidationError({"report_recipients": "must be a list of e-mail addresses"})
    out: list[str] = []
    for value in values:
        address = clean_text(value, "report_recipients", max_length=254).lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError({"report_recipients": f"{address!r} is not an e-mail address"}) from None
        if address not in out:
            out.append(address)
    if len(out) > MAX_RECIPIENTS:
        raise ValidationError({"report_recipients": f"at most {MAX_RECIPIENTS} recipients"})
    return out


def report_due_days(value: Any) -> int | None:
    """Days after the event's end the report is due (0 to 90), or None for no deadline."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_REPORT_DAYS:
        raise ValidationError(
            {"report_due_days": f"must be a whole number of days from 0 to {MAX_REPORT_DAYS}"}
        )
    return value


def report_delivery(data: dict[str, Any]) -> dict[str, Any]:
    """The report's deadline and recipients among an event's `data`, validated (only those given)."""
    out: dict[str, Any] = {}
    if "report_due_days" in data:
        out["report_due_days"] = report_due_days(data["report_due_days"])
    if "report_recipients" in data:
        out["report_recipients"] = report_recipients(data["report_recipients"])
    return out
