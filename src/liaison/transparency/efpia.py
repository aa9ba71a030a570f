"""The EFPIA-style disclosure of one country and year: individual rows for organisations and for HCPs who
consented, one aggregate for HCPs who did not, and research and development in aggregate.

Categories follow the standardised disclosure template of the EFPIA Code (see docs/transparency.md for the
rules and what is left to national codes). Amounts are summed per currency and never converted.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models

from liaison.core.exports import csv_writer
from liaison.core.permissions import require

from .cms import ExportRefusal
from .models import DisclosureConsent, Nature, SourceKind, TransferOfValue

if TYPE_CHECKING:
    from liaison.accounts.models import User


class Category(models.TextChoices):
    DONATIONS_GRANTS = "donations_grants", "Donations and Grants to HCOs"
    EVENT_SPONSORSHIP = "event_sponsorship", "Contribution to costs of Events: sponsorship agreements"
    EVENT_REGISTRATION = "event_registration", "Contribution to costs of Events: registration fees"
    EVENT_TRAVEL = "event_travel", "Contribution to costs of Events: travel & accommodation"
    SERVICE_FEES = "service_fees", "Fee for service and consultancy: fees"
    SERVICE_EXPENSES = "service_expenses", "Fee for service and consultancy: related expenses"
    RESEARCH = "research", "Research & Development (aggregate)"


# The individual and aggregate columns; R&D is disclosed as one aggregate figure.
INDIVIDUAL = [c for c in Category if c != Category.RESEARCH]
# Natures under the categories they are disclosed in. Travel and lodging are "related expenses" when paid
# under a fee-for-service contract, and "contribution to costs of events" otherwise. Food and beverage is not
# disclosed (meals and drinks are outside EFPIA disclosure; national codes may differ).
NATURE_CATEGORY: dict[str, Category | None] = {
    Nature.CONSULTING_FEE: Category.SERVICE_FEES,
    Nature.HONORARIUM: Category.SERVICE_FEES,
    Nature.SPEAKER_FEE: Category.SERVICE_FEES,
    Nature.REGISTRATION_FEE: Category.EVENT_REGISTRATION,
    Nature.SPONSORSHIP: Category.EVENT_SPONSORSHIP,
    Nature.GRANT: Category.DONATIONS_GRANTS,
    Nature.DONATION: Category.DONATIONS_GRANTS,
    Nature.RESEARCH: Category.RESEARCH,
    Nature.FOOD_BEVERAGE: None,
}
COLUMNS = [
    "Section",
    "Recipient type",
    "Recipient",
    "City",
    "Country",
    "Identifiers",
    "Currency",
    *[c.label for c in INDIVIDUAL],
    "Total",
]


def category_of(t: TransferOfValue) -> Category | None:
    """The disclosure category of a transfer, or None when EFPIA does not disclose its nature."""
    if t.nature in (Nature.TRAVEL, Nature.LODGING):
        return Category.SERVICE_EXPENSES if t.source_kind == SourceKind.CONTRACT else Category.EVENT_TRAVEL
    return NATURE_CATEGORY[t.nature]


@dataclass
class Line:
    """Amounts by category for one recipient (or for the aggregate) in one currency."""

    section: str
    recipient_type: str
    recipient: str = ""
    city: str = ""
    identifiers: str = ""
    currency: str = ""
    amounts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), Decimal("0"))


@dataclass
class Aggregate:
    """The non-consenting HCPs of one currency: amount, number of recipients and their share, per category."""

    currency: str
    amounts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    recipients: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    all_recipients: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def share(self, category: str) -> str:
        """Recipients in the aggregate as a percentage of every HCP recipient of the category ("" if none)."""
        total = len(self.all_recipients[category])
        return f"{100 * len(self.recipients[category]) / total:.1f}%" if total else ""


@dataclass
class EfpiaDisclosure:
    """The disclosure of `country` for `year`: lines, aggregates, R&D totals, refusals and exclusions."""

    country: str
    year: int
    individual: list[Line] = field(default_factory=list)
    aggregates: dict[str, Aggregate] = field(default_factory=dict)
    research: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    refusals: list[ExportRefusal] = field(default_factory=list)
    not_disclosed: int = 0

    @property
    def kind(self) -> str:
        return "efpia"

    @property
    def filename(self) -> str:
        return f"efpia-{self.country.lower()}-{self.year}.csv"

    def rows(self) -> list[list[Any]]:
        """The file's rows, in the template's order: individual HCPs, individual HCOs, the HCP aggregate (amount,
        number of recipients, share), then R&D."""
        out: list[list[Any]] = []
        for line in sorted(self.individual, key=lambda x: (x.recipient_type, x.recipient, x.currency)):
            out.append(
                [
                    line.section,
                    line.recipient_type,
                    line.recipient,
                    line.city,
                    self.country,
                    line.identifiers,
                    line.currency,
                    *[_money(line.amounts.get(c)) for c in INDIVIDUAL],
                    _money(line.total),
                ]
            )
        for currency, agg in sorted(self.aggregates.items()):
            base = ["Aggregate", "HCP", "Recipients without consent", "", self.country, "", currency]
            total = sum(agg.amounts.values(), Decimal("0"))
            out.append([*base, *[_money(agg.amounts.get(c)) for c in INDIVIDUAL], _money(total)])
            count = len(set().union(*agg.recipients.values())) if agg.recipients else 0
            out.append(
                [
                    *base[:2],
                    "Number of recipients in aggregate",
                    "",
                    self.country,
                    "",
                    currency,
                    *[len(agg.recipients[c]) or "" for c in INDIVIDUAL],
                    count,
                ]
            )
            out.append(
                [
                    *base[:2],
                    "% of the number of recipients",
                    "",
                    self.country,
                    "",
                    currency,
                    *[agg.share(c) for c in INDIVIDUAL],
                    "",
                ]
            )
        for currency, amount in sorted(self.research.items()):
            blanks = [""] * len(INDIVIDUAL)
            out.append(
                [
                    "R&D",
                    "Aggregate",
                    Category.RESEARCH.label,
                    "",
                    self.country,
                    "",
                    currency,
                    *blanks,
                    _money(amount),
                ]
            )
        return out

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """The file's columns and rows."""
        return COLUMNS, self.rows()

    def to_csv(self) -> str:
        """The file: a header row, then the rows."""
        buffer = io.StringIO(newline="")
        writer = csv_writer(buffer)
        writer.writerow(COLUMNS)
        writer.writerows(self.rows())
        return buffer.getvalue()

    def summary(self) -> str:
        """One line for the page, the CLI and the API."""
        return (
            f"{len(self.individual)} individual line(s), {len(self.aggregates)} aggregate(s), "
            f"{len(self.refusals)} refusal(s), {self.not_disclosed} transfer(s) not disclosed under EFPIA"
        )


def _money(value: Decimal | None) -> str:
    return f"{value:.2f}" if value else ""


def _identifiers(register_ids: dict[str, str]) -> str:
    return "; ".join(f"{k} {v}" for k, v in sorted(register_ids.items()))


def efpia_disclosure(user: User, *, year: int, country: str) -> EfpiaDisclosure:
    """Build the disclosure of `country` (ISO alpha-2) for `year` from the transfers you may export, not void.

    An HCP is disclosed by name only with a consent recorded for that year (consented = yes); without one
    their transfers go to the aggregate. Organisations are disclosed individually.
    """
    require(user, "transfer_of_value", "export")
    country = country.upper()
    out = EfpiaDisclosure(country=country, year=year)
    transfers = (
        TransferOfValue.objects.restrict(user, "export")
        .filter(voided_at__isnull=True, paid_on__year=year, country=country)
        .select_related("recipient_hcp", "recipient_organization")
        .order_by("paid_on", "pk")
    )
    consenting = set(
        DisclosureConsent.objects.filter(year=year, consented=True).values_list("hcp_id", flat=True)
    )
    lines: dict[tuple[str, int, str], Line] = {}
    for t in transfers:
        category = category_of(t)
        if category is None:
            out.not_disclosed += 1
            continue
        if category == Category.RESEARCH:
            out.research[t.currency] += t.amount
            continue
        hcp = t.recipient_hcp
        if hcp is not None and category in (Category.DONATIONS_GRANTS, Category.EVENT_SPONSORSHIP):
            out.refusals.append(
                ExportRefusal(
                    str(t.uuid), "nature", f"{category.label} go to organisations, not HCPs", t.recipient_name
                )
            )
            continue
        if hcp is not None and hcp.pk not in consenting:
            agg = out.aggregates.setdefault(t.currency, Aggregate(currency=t.currency))
            agg.amounts[category] += t.amount
            agg.recipients[category].add(hcp.pk)
            agg.all_recipients[category].add(hcp.pk)
            continue
        if hcp is not None:
            # Consenting HCPs count in the denominator of the aggregate's share of recipients.
            agg = out.aggregates.setdefault(t.currency, Aggregate(currency=t.currency))
            agg.all_recipients[category].add(hcp.pk)
        holder: Any = hcp if hcp is not None else t.recipient_organization
        key = ("HCP" if hcp is not None else "HCO", holder.pk, t.currency)
        if key not in lines:
            lines[key] = Line(
                section="Individual",
                recipient_type=key[0],
                recipient=t.recipient_name,
                city=holder.city,
                identifiers=_identifiers(t.register_ids),
                currency=t.currency,
            )
        lines[key].amounts[category] += t.amount
    out.individual = list(lines.values())
    # An aggregate made only of consenting recipients' counts holds no amounts: it is not a disclosure line.
    out.aggregates = {c: a for c, a in out.aggregates.items() if a.amounts}
    return out
