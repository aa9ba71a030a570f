"""CMS Open Payments (Sunshine Act) files for one program year: general payments and research payments.

The columns are the ones CMS publishes from program year 2021 on, the same names the project's own reader
(liaison_pipelines/sources/open_payments.py, ALIASES) understands; tests/transparency checks that a file
written here reads back through that reader with the same recipients, amounts, dates and natures. Every rule
applied is listed in docs/transparency.md with its source. A transfer that breaks a rule is not written and
not dropped either: it comes back as a refusal (transfer uuid, field, message) for the user to fix.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings

from liaison.core.exports import csv_writer
from liaison.core.permissions import require

from .models import CMS_NATURE, PaymentForm, TransferKind, TransferOfValue

if TYPE_CHECKING:
    from liaison.accounts.models import User

CMS_COUNTRY = "US"
CMS_CURRENCY = "USD"
N_PRODUCTS = 5
NPI_RE = re.compile(r"^\d{10}$")
NCT_RE = re.compile(r"^NCT\d{8}$")
US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    ]
)
PHYSICIAN = "Covered Recipient Physician"
TEACHING_HOSPITAL = "Covered Recipient Teaching Hospital"
PRODUCT_COLUMNS = [
    column
    for i in range(1, N_PRODUCTS + 1)
    for column in (
        f"Indicate_Drug_or_Biological_or_Device_or_Medical_Supply_{i}",
        f"Name_of_Drug_or_Biological_or_Device_or_Medical_Supply_{i}",
    )
]
RECIPIENT_COLUMNS = [
    "Change_Type",
    "Covered_Recipient_Type",
    "Teaching_Hospital_CCN",
    "Teaching_Hospital_Name",
    "Covered_Recipient_NPI",
    "Covered_Recipient_First_Name",
    "Covered_Recipient_Middle_Name",
    "Covered_Recipient_Last_Name",
    "Covered_Recipient_Name_Suffix",
    "Recipient_City",
    "Recipient_State",
    "Recipient_Country",
    "Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_ID",
    "Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_Name",
    "Total_Amount_of_Payment_USDollars",
    "Date_of_Payment",
    "Form_of_Payment_or_Transfer_of_Value",
]
GENERAL_COLUMNS = [
    *RECIPIENT_COLUMNS,
    "Number_of_Payments_Included_in_Total_Amount",
    "Nature_of_Payment_or_Transfer_of_Value",
    "Contextual_Information",
    "Related_Product_Indicator",
    *PRODUCT_COLUMNS,
    "Record_ID",
    "Program_Year",
]
RESEARCH_COLUMNS = [
    *RECIPIENT_COLUMNS,
    "Principal_Investigator_1_NPI",
    "Principal_Investigator_1_First_Name",
    "Principal_Investigator_1_Last_Name",
    "Related_Product_Indicator",
    *PRODUCT_COLUMNS,
    "Name_of_Study",
    "ClinicalTrials_Gov_Identifier",
    "Context_of_Research",
    "Record_ID",
    "Program_Year",
]
KINDS = {"cms-general": TransferKind.GENERAL, "cms-research": TransferKind.RESEARCH}


@dataclass
class ExportRefusal:
    """A transfer the export could not write, and the rule it breaks."""

    transfer: str
    field: str
    message: str
    recipient: str = ""


@dataclass
class ExportResult:
    """A disclosure file as rows, with the transfers refused and how many were out of its scope."""

    kind: str
    year: int
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    refusals: list[ExportRefusal] = field(default_factory=list)
    out_of_scope: int = 0
    below_threshold: int = 0
    country: str = CMS_COUNTRY

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.country.lower()}-{self.year}.csv"

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """The file's columns and rows."""
        return self.columns, self.rows

    def to_csv(self) -> str:
        """The file: a header row, then one row per written record."""
        buffer = io.StringIO(newline="")
        writer = csv_writer(buffer)
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return buffer.getvalue()

    def summary(self) -> str:
        return (
            f"{len(self.rows)} row(s) written, {len(self.refusals)} refusal(s), "
            f"{self.out_of_scope} transfer(s) outside this file's scope"
            + (
                f", {self.below_threshold} small payment(s) below the reporting threshold"
                if self.below_threshold
                else ""
            )
        )


def npi_is_valid(npi: str) -> bool:
    """Ten digits whose last is the Luhn check digit of the first nine prefixed with 80840 (the NPI standard's
    check, CMS "NPI check digit" algorithm)."""
    if not NPI_RE.match(npi or ""):
        return False
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def _manufacturer() -> tuple[str, str]:
    """The paying manufacturer's CMS id and name (settings, blank when not configured)."""
    return (
        str(getattr(settings, "TRANSPARENCY_CMS_MANUFACTURER_ID", "")),
        str(getattr(settings, "TRANSPARENCY_CMS_MANUFACTURER_NAME", "")),
    )


def small_payment_limits() -> tuple[Decimal, Decimal]:
    """(per payment, yearly aggregate) below which a payment need not be reported: 42 CFR 403.904(i)(1) sets
    $10 and $100, raised each year by the consumer price index; CMS publishes the figures of each program year,
    which an operator sets in TRANSPARENCY_CMS_SMALL_PAYMENT / TRANSPARENCY_CMS_SMALL_PAYMENT_AGGREGATE."""
    return (
        Decimal(str(getattr(settings, "TRANSPARENCY_CMS_SMALL_PAYMENT", "10.00"))),
        Decimal(str(getattr(settings, "TRANSPARENCY_CMS_SMALL_PAYMENT_AGGREGATE", "100.00"))),
    )


def _yearly_totals(user: User, year: int) -> dict[tuple[str, int | None], Decimal]:
    """Each US recipient's total in US dollars for the year, general and research payments together (the
    aggregate the small-payment rule compares), keyed by ("hcp"|"org", id)."""
    totals: dict[tuple[str, int | None], Decimal] = defaultdict(Decimal)
    rows = (
        TransferOfValue.objects.restrict(user, "export")
        .filter(voided_at__isnull=True, paid_on__year=year, country=CMS_COUNTRY, currency=CMS_CURRENCY)
        .values_list("recipient_hcp_id", "recipient_organization_id", "amount")
    )
    for hcp_id, org_id, amount in rows:
        totals[("hcp", hcp_id) if hcp_id is not None else ("org", org_id)] += amount
    return totals


def _is_small(t: TransferOfValue, totals: dict[tuple[str, int | None], Decimal]) -> bool:
    """Below the per-payment limit, to a recipient whose yearly aggregate does not exceed the aggregate limit."""
    each, aggregate = small_payment_limits()
    key = (
        ("hcp", t.recipient_hcp_id)
        if t.recipient_hcp_id is not None
        else ("org", t.recipient_organization_id)
    )
    return t.currency == CMS_CURRENCY and t.amount < each and totals.get(key, Decimal(0)) <= aggregate


def _problems(t: TransferOfValue, kind: str) -> list[tuple[str, str]]:
    """(field, message) for every CMS rule this transfer breaks; empty when it may be written."""
    problems: list[tuple[str, str]] = []
    if t.currency != CMS_CURRENCY:
        problems.append(("currency", f"CMS takes amounts in US dollars only; this one is in {t.currency}"))
    if t.amount <= 0:
        problems.append(("amount", "must be more than zero"))
    if t.recipient_hcp is not None:
        hcp = t.recipient_hcp
        npi = t.register_ids.get("NPI") or hcp.npi or ""
        if not npi_is_valid(npi):
            problems.append(("npi", "a physician needs a 10-digit NPI with a valid check digit"))
        if not hcp.first_name or not hcp.last_name:
            problems.append(("recipient_hcp", "the physician's first and last name are required"))
        if not hcp.city:
            problems.append(("city", "the recipient's city is required"))
        if (hcp.state or "").upper() not in US_STATES:
            problems.append(("state", "the recipient's state must be a US state or territory code"))
    elif t.recipient_organization is not None and not t.register_ids.get("CCN"):
        problems.append(
            (
                "recipient_organization",
                "CMS covers teaching hospitals only: record the hospital's CCN in register_ids",
            )
        )
    if kind == TransferKind.GENERAL and CMS_NATURE.get(t.nature) is None:
        problems.append(("nature", f"{t.get_nature_display()} has no CMS nature of payment"))
    if kind == TransferKind.RESEARCH:
        if not t.study_name:
            problems.append(("study_name", "a research payment needs the name of the study"))
        if t.nct_id and not NCT_RE.match(t.nct_id):
            problems.append(("nct_id", "must be NCT followed by eight digits"))
    if len(t.products) > N_PRODUCTS:
        problems.append(("products", f"CMS reports at most {N_PRODUCTS} products"))
    return problems


def _recipient_values(t: TransferOfValue) -> dict[str, Any]:
    manufacturer_id, manufacturer_name = _manufacturer()
    values: dict[str, Any] = {
        "Change_Type": "NEW",
        "Recipient_Country": "United States",
        "Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_ID": manufacturer_id,
        "Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_Name": manufacturer_name,
        "Total_Amount_of_Payment_USDollars": f"{t.amount:.2f}",
        "Date_of_Payment": t.paid_on.strftime("%m/%d/%Y"),
        "Form_of_Payment_or_Transfer_of_Value": PaymentForm(t.form_of_payment).label,
        "Related_Product_Indicator": "Yes" if t.products else "No",
        "Record_ID": str(t.uuid),
        "Program_Year": str(t.paid_on.year),
    }
    for i, name in enumerate(t.products[:N_PRODUCTS], start=1):
        values[f"Indicate_Drug_or_Biological_or_Device_or_Medical_Supply_{i}"] = "Drug"
        values[f"Name_of_Drug_or_Biological_or_Device_or_Medical_Supply_{i}"] = name
    if t.recipient_hcp is not None:
        hcp = t.recipient_hcp
        values.update(
            {
                "Covered_Recipient_Type": PHYSICIAN,
                "Covered_Recipient_NPI": t.register_ids.get("NPI") or hcp.npi or "",
                "Covered_Recipient_First_Name": hcp.first_name,
                "Covered_Recipient_Middle_Name": hcp.middle_name,
                "Covered_Recipient_Last_Name": hcp.last_name,
                "Covered_Recipient_Name_Suffix": hcp.suffix,
                "Recipient_City": hcp.city,
                "Recipient_State": hcp.state.upper(),
            }
        )
    elif t.recipient_organization is not None:
        org = t.recipient_organization
        values.update(
            {
                "Covered_Recipient_Type": TEACHING_HOSPITAL,
                "Teaching_Hospital_CCN": t.register_ids.get("CCN", ""),
                "Teaching_Hospital_Name": org.name,
                "Recipient_City": org.city,
                "Recipient_State": org.state.upper(),
            }
        )
    return values


def _row(t: TransferOfValue, kind: str) -> dict[str, Any]:
    values = _recipient_values(t)
    if kind == TransferKind.GENERAL:
        values.update(
            {
                "Number_of_Payments_Included_in_Total_Amount": "1",
                "Nature_of_Payment_or_Transfer_of_Value": CMS_NATURE[t.nature],
                "Contextual_Information": t.description,
            }
        )
    else:
        values.update(
            {
                "Name_of_Study": t.study_name,
                "ClinicalTrials_Gov_Identifier": t.nct_id,
                "Context_of_Research": t.description,
            }
        )
        if t.recipient_hcp is not None:
            values.update(
                {
                    "Principal_Investigator_1_NPI": values["Covered_Recipient_NPI"],
                    "Principal_Investigator_1_First_Name": t.recipient_hcp.first_name,
                    "Principal_Investigator_1_Last_Name": t.recipient_hcp.last_name,
                }
            )
    return values


def cms_export(user: User, *, kind: str, year: int) -> ExportResult:
    """The general (`kind="cms-general"`) or research (`"cms-research"`) payments file of program `year`: the
    transfers you may export, not void, paid that calendar year to US recipients."""
    require(user, "transfer_of_value", "export")
    if kind not in KINDS:
        raise ValueError(f"unknown CMS file {kind!r}")
    transfer_kind = KINDS[kind]
    columns = GENERAL_COLUMNS if transfer_kind == TransferKind.GENERAL else RESEARCH_COLUMNS
    result = ExportResult(kind=kind, year=year, columns=columns)
    transfers = (
        TransferOfValue.objects.restrict(user, "export")
        .filter(voided_at__isnull=True, kind=transfer_kind, paid_on__year=year)
        .select_related("recipient_hcp", "recipient_organization")
        .order_by("paid_on", "pk")
    )
    totals = _yearly_totals(user, year)
    for t in transfers:
        if t.country != CMS_COUNTRY:
            result.out_of_scope += 1
            continue
        if _is_small(t, totals):
            result.below_threshold += 1
            continue
        problems = _problems(t, transfer_kind)
        if problems:
            result.refusals += [ExportRefusal(str(t.uuid), f, m, t.recipient_name) for f, m in problems]
            continue
        values = _row(t, transfer_kind)
        result.rows.append([values.get(c, "") for c in columns])
    return result
