"""Restricted reads of the ledger: the filtered list, and the per-HCP yearly summary of the HCP profile's tab."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from liaison.core.permissions import can

from .models import DisclosureConsent, Nature, TransferOfValue

if TYPE_CHECKING:
    from liaison.accounts.models import User
    from liaison.people.models import HCP


# SQLite sums decimals without their scale; figures are shown to the cent.
CENTS = Decimal("0.01")


def ledger(
    user: User,
    *,
    year: int | None = None,
    nature: str = "",
    recipient: str = "",
    country: str = "",
    kind: str = "",
    hcp: Any = None,
    include_void: bool = True,
) -> QuerySet:
    """Transfers the user may view, newest first, narrowed by what is given (`recipient`: part of a name)."""
    qs = TransferOfValue.objects.restrict(user, "view").select_related(
        "recipient_hcp", "recipient_organization", "recorded_by"
    )
    if year:
        qs = qs.filter(paid_on__year=year)
    if nature:
        qs = qs.filter(nature=nature)
    if kind:
        qs = qs.filter(kind=kind)
    if country:
        qs = qs.filter(country=country.upper())
    if hcp is not None:
        qs = qs.filter(recipient_hcp=hcp)
    if recipient:
        words = recipient.split()[:4]
        for word in words:
            qs = qs.filter(
                Q(recipient_hcp__last_name__icontains=word)
                | Q(recipient_hcp__first_name__icontains=word)
                | Q(recipient_organization__name__icontains=word)
            )
    if not include_void:
        qs = qs.filter(voided_at__isnull=True)
    return qs.order_by("-paid_on", "-created_at")


@dataclass
class YearSummary:
    """One year of an HCP's transfers: totals by nature and currency, and the disclosure consent."""

    year: int
    totals: list[tuple[str, str, Decimal, int]] = field(
        default_factory=list
    )  # nature label, currency, sum, n
    by_currency: dict[str, Decimal] = field(default_factory=dict)
    consent: DisclosureConsent | None = None


def hcp_summary(user: User, hcp: HCP) -> list[YearSummary]:
    """Per year (newest first), the HCP's transfers the user may view, void ones left out."""
    labels = dict(Nature.choices)
    rows = (
        ledger(user, hcp=hcp, include_void=False)
        .order_by()
        .values("paid_on__year", "nature", "currency")
        .annotate(total=Sum("amount"), n=Count("pk"))
    )
    years: dict[int, YearSummary] = {}
    by_currency: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        year = row["paid_on__year"]
        total = Decimal(row["total"]).quantize(CENTS)
        summary = years.setdefault(year, YearSummary(year=year))
        summary.totals.append((labels.get(row["nature"], row["nature"]), row["currency"], total, row["n"]))
        by_currency[year][row["currency"]] += total
    consents = {
        c.year: c
        for c in DisclosureConsent.objects.restrict(user, "view").filter(hcp=hcp, year__in=list(years))
    }
    for year, summary in years.items():
        summary.totals.sort()
        summary.by_currency = dict(sorted(by_currency[year].items()))
        summary.consent = consents.get(year)
    return [years[y] for y in sorted(years, reverse=True)]


def hcp_transfers_tab(user: User, hcp: HCP) -> dict[str, Any]:
    """The HCP profile's "Transfers of value" tab: the yearly summaries and the latest transfers."""
    return {
        "transfer_years": hcp_summary(user, hcp),
        "hcp_transfers": list(ledger(user, hcp=hcp)[:50]),
        "can_add_transfer": can(user, "transfer_of_value", "add"),
        "current_year": timezone.localdate().year,
    }
