"""CMS Open Payments (Sunshine Act) CSVs: payments, research payments with their principal investigators, and
the covered-recipient profile supplement.

CMS renamed its columns with program year 2021 (``Physician_Profile_ID`` became ``Covered_Recipient_Profile_ID``,
``Covered_Recipient_NPI`` appeared, product columns were merged) and again trimmed files circulate with only
some columns. Every column is read through one alias table (``ALIASES``), so all layouts give the same output
schema. A file's kind is told from its header, not its name: research files carry ``Name_of_Study``, general
files ``Nature_of_Payment_or_Transfer_of_Value``, the profile supplement ``..._Profile_First_Name``.

Rows that cannot be used (no record id, an amount or date that does not parse, a row cut short) are skipped and
counted with their reason; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..inputs import SkippedInput, open_text

KIND_GENERAL = "general"
KIND_RESEARCH = "research"
KIND_PROFILES = "profiles"

N_PI = 5  # Principal_Investigator_1..5 blocks
N_PRODUCTS = 5
N_LICENSES = 5


def _expand(template: dict[str, tuple[str, ...]], n: int) -> dict[str, tuple[str, ...]]:
    return {
        key.format(i=i): tuple(c.format(i=i) for c in cols)
        for i in range(1, n + 1)
        for key, cols in template.items()
    }


# Canonical field -> CSV column names, oldest layout first. One table for every layout CMS has published.
ALIASES: dict[str, tuple[str, ...]] = {
    "record_id": ("Record_ID",),
    "program_year": ("Program_Year",),
    "recipient_type": ("Covered_Recipient_Type",),
    "profile_id": ("Physician_Profile_ID", "Covered_Recipient_Profile_ID"),
    "npi": ("Physician_NPI", "Covered_Recipient_NPI"),
    "first_name": ("Physician_First_Name", "Covered_Recipient_First_Name"),
    "middle_name": ("Physician_Middle_Name", "Covered_Recipient_Middle_Name"),
    "last_name": ("Physician_Last_Name", "Covered_Recipient_Last_Name"),
    "name_suffix": ("Physician_Name_Suffix", "Covered_Recipient_Name_Suffix"),
    "city": ("Recipient_City",),
    "state": ("Recipient_State",),
    "zip": ("Recipient_Zip_Code",),
    "country": ("Recipient_Country",),
    "primary_type": ("Physician_Primary_Type", "Covered_Recipient_Primary_Type_1"),
    "specialty": ("Physician_Specialty", "Covered_Recipient_Specialty_1"),
    "teaching_hospital_name": ("Teaching_Hospital_Name",),
    "teaching_hospital_id": ("Teaching_Hospital_ID",),
    "manufacturer": ("Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_Name",),
    "manufacturer_id": ("Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_ID",),
    "amount": ("Total_Amount_of_Payment_USDollars",),
    "date": ("Date_of_Payment",),
    "number_of_payments": ("Number_of_Payments_Included_in_Total_Amount",),
    "nature_of_payment": ("Nature_of_Payment_or_Transfer_of_Value",),
    "form_of_payment": ("Form_of_Payment_or_Transfer_of_Value",),
    "third_party": ("Name_of_Third_Party_Entity_Receiving_Payment_or_Transfer_of_Value",),
    "study_name": ("Name_of_Study",),
    "nct_id": ("ClinicalTrials_Gov_Identifier",),
    "research_link": ("Research_Information_Link",),
    "context": ("Context_of_Research", "Contextual_Information"),
    # Summary files (not payment rows): a per-physician index duplicating -GNRL/-RSRCH rows.
    "category": ("Category",),
    # Profile supplement (PY2013-2020 "Physician_Profile_*", PY2021+ "Covered_Recipient_Profile_*").
    "profile_first_name": ("Physician_Profile_First_Name", "Covered_Recipient_Profile_First_Name"),
    "profile_middle_name": ("Physician_Profile_Middle_Name", "Covered_Recipient_Profile_Middle_Name"),
    "profile_last_name": ("Physician_Profile_Last_Name", "Covered_Recipient_Profile_Last_Name"),
    "profile_suffix": ("Physician_Profile_Suffix", "Covered_Recipient_Profile_Suffix"),
    "profile_alt_first_name": ("Physician_Profile_Alternate_First_Name", "Covered_Recipient_Profile_Alternate_First_Name"),
    "profile_alt_middle_name": (
        "Physician_Profile_Alternate_Middle_Name",
        "Covered_Recipient_Profile_Alternate_Middle_Name",
    ),
    "profile_alt_last_name": ("Physician_Profile_Alternate_Last_Name", "Covered_Recipient_Profile_Alternate_Last_Name"),
    "profile_address_1": ("Physician_Profile_Address_Line_1", "Covered_Recipient_Profile_Address_Line_1"),
    "profile_address_2": ("Physician_Profile_Address_Line_2", "Covered_Recipient_Profile_Address_Line_2"),
    "profile_city": ("Physician_Profile_City", "Covered_Recipient_Profile_City"),
    "profile_state": ("Physician_Profile_State", "Covered_Recipient_Profile_State"),
    "profile_zip": ("Physician_Profile_Zipcode", "Covered_Recipient_Profile_Zipcode"),
    "profile_country": ("Physician_Profile_Country_Name", "Covered_Recipient_Profile_Country_Name"),
    "profile_specialty": ("Physician_Profile_Primary_Specialty", "Covered_Recipient_Profile_Primary_Specialty"),
    "profile_type": ("Covered_Recipient_Profile_Type",),
    **_expand({"license_state_{i}": ("Physician_License_State_code{i}", "Covered_Recipient_License_State_code{i}")}, N_LICENSES),
    **_expand(
        {"profile_license_state_{i}": ("Physician_Profile_License_State_Code_{i}", "Covered_Recipient_Profile_License_State_Code_{i}")},
        N_LICENSES,
    ),
    # Products: PY2013-2015 separate drug and device columns; PY2016+ one name column with a kind indicator.
    **_expand(
        {
            "drug_{i}": ("Name_of_Associated_Covered_Drug_or_Biological{i}",),
            "device_{i}": ("Name_of_Associated_Covered_Device_or_Medical_Supply{i}",),
            "product_{i}": ("Name_of_Drug_or_Biological_or_Device_or_Medical_Supply_{i}",),
            "product_kind_{i}": ("Indicate_Drug_or_Biological_or_Device_or_Medical_Supply_{i}",),
        },
        N_PRODUCTS,
    ),
    # Principal investigators of research payments.
    **_expand(
        {
            "pi{i}_profile_id": ("Principal_Investigator_{i}_Profile_ID",),
            "pi{i}_npi": ("Principal_Investigator_{i}_NPI",),
            "pi{i}_first_name": ("Principal_Investigator_{i}_First_Name",),
            "pi{i}_middle_name": ("Principal_Investigator_{i}_Middle_Name",),
            "pi{i}_last_name": ("Principal_Investigator_{i}_Last_Name",),
            "pi{i}_name_suffix": ("Principal_Investigator_{i}_Name_Suffix",),
            "pi{i}_city": ("Principal_Investigator_{i}_City",),
            "pi{i}_state": ("Principal_Investigator_{i}_State",),
            "pi{i}_zip": ("Principal_Investigator_{i}_Zip_Code",),
            "pi{i}_country": ("Principal_Investigator_{i}_Country",),
            "pi{i}_primary_type": ("Principal_Investigator_{i}_Primary_Type", "Principal_Investigator_{i}_Primary_Type_1"),
            "pi{i}_specialty": ("Principal_Investigator_{i}_Specialty", "Principal_Investigator_{i}_Specialty_1"),
            **{
                f"pi{{i}}_license_state_{j}": (f"Principal_Investigator_{{i}}_License_State_code{j}",)
                for j in range(1, N_LICENSES + 1)
            },
        },
        N_PI,
    ),
}  # fmt: skip

NCT_RE = re.compile(r"NCT\d{8}", re.IGNORECASE)


@dataclass(slots=True)
class PrincipalInvestigator:
    slot: int
    profile_id: str = ""
    npi: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    name_suffix: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    primary_type: str = ""
    specialty: str = ""
    license_states: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Payment:
    """One payment row, general or research, in the layout-independent schema."""

    record_id: str
    program_year: int
    kind: str  # general | research
    amount_usd: float
    date: dt.date
    recipient_type: str = ""
    recipient_profile_id: str = ""
    npi: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    name_suffix: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    primary_type: str = ""
    specialty: str = ""
    license_states: list[str] = field(default_factory=list)
    teaching_hospital_name: str = ""
    teaching_hospital_id: str = ""
    manufacturer: str = ""
    manufacturer_id: str = ""
    number_of_payments: int | None = None
    nature_of_payment: str = ""
    form_of_payment: str = ""
    third_party: str = ""
    drug_names: list[str] = field(default_factory=list)
    device_names: list[str] = field(default_factory=list)
    study_name: str = ""
    nct_id: str = ""
    context: str = ""
    principal_investigators: list[PrincipalInvestigator] = field(default_factory=list)


@dataclass(slots=True)
class PhysicianProfile:
    """One row of the covered-recipient (physician) profile supplement."""

    profile_id: str
    npi: str = ""
    profile_type: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    name_suffix: str = ""
    alternate_first_name: str = ""
    alternate_middle_name: str = ""
    alternate_last_name: str = ""
    address_line_1: str = ""
    address_line_2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    specialty: str = ""
    license_states: list[str] = field(default_factory=list)


SkipRecord = Callable[[str], None]

# CMS fields can be long (Context_of_Research); the csv module's 128 KiB default is too small for some.
csv.field_size_limit(min(sys.maxsize, 1 << 30))


class _Row:
    """Canonical-name access to one CSV row through the header's alias resolution."""

    __slots__ = ("index", "values")

    def __init__(self, index: dict[str, int], values: list[str]) -> None:
        self.index, self.values = index, values

    def get(self, key: str) -> str:
        i = self.index.get(key)
        return self.values[i].strip() if i is not None else ""

    def has(self, key: str) -> bool:
        return key in self.index


def resolve_header(header: list[str]) -> dict[str, int]:
    """Canonical field -> column position, for the aliases this header carries (the first alias present wins)."""
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(name.strip().lstrip("\ufeff"), i)
    index: dict[str, int] = {}
    for key, names in ALIASES.items():
        for name in names:
            if name in positions:
                index[key] = positions[name]
                break
    return index


def file_kind(index: dict[str, int], path: Path) -> str:
    """general | research | profiles, from the header; SkippedInput for anything else."""
    if "profile_first_name" in index and "profile_id" in index:
        return KIND_PROFILES
    if "category" in index and "nature_of_payment" not in index and "study_name" not in index:
        # The Gazette's per-physician index and totals: payment rows repeated or summed, not new payments.
        raise SkippedInput(path, "summary file (a Category column, no payment detail), not payment rows")
    missing = [k for k in ("record_id", "amount", "date") if k not in index]
    if missing:
        raise SkippedInput(
            path, f"not an Open Payments payments file (no {', '.join(ALIASES[k][0] for k in missing)})"
        )
    if "study_name" in index or "pi1_last_name" in index:
        return KIND_RESEARCH
    if "nature_of_payment" in index:
        return KIND_GENERAL
    name = path.name.upper()
    if "RSRCH" in name:
        return KIND_RESEARCH
    if "GNRL" in name:
        return KIND_GENERAL
    raise SkippedInput(path, "payments file of unknown kind (neither general nor research columns)")


def parse_amount(value: str) -> float | None:
    """'1754.77', '$1,754.77' -> 1754.77; None when it is not a finite number."""
    text = value.replace("$", "").replace(",", "").strip()
    if not text:
        return None
    try:
        amount = float(text)
    except ValueError:
        return None
    return amount if math.isfinite(amount) else None


def parse_date(value: str) -> dt.date | None:
    """CMS 'MM/DD/YYYY' (and ISO 'YYYY-MM-DD', seen in API exports) -> date; None when it does not parse."""
    text = value.strip()
    for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _licenses(row: _Row, prefix: str) -> list[str]:
    return [s for s in (row.get(f"{prefix}{j}") for j in range(1, N_LICENSES + 1)) if s]


def _products(row: _Row) -> tuple[list[str], list[str]]:
    drugs = [v for v in (row.get(f"drug_{i}") for i in range(1, N_PRODUCTS + 1)) if v]
    devices = [v for v in (row.get(f"device_{i}") for i in range(1, N_PRODUCTS + 1)) if v]
    for i in range(1, N_PRODUCTS + 1):
        name = row.get(f"product_{i}")
        if name:
            # PY2016+: 'Drug', 'Biological', 'Device', 'Medical Supply'
            kind = row.get(f"product_kind_{i}").lower()
            (devices if kind.startswith(("device", "medical")) else drugs).append(name)
    return drugs, devices


def _pis(row: _Row) -> list[PrincipalInvestigator]:
    pis = []
    for i in range(1, N_PI + 1):
        p = f"pi{i}_"
        if not (row.get(p + "profile_id") or row.get(p + "last_name") or row.get(p + "npi")):
            continue
        pis.append(
            PrincipalInvestigator(
                slot=i,
                profile_id=row.get(p + "profile_id"),
                npi=row.get(p + "npi"),
                first_name=row.get(p + "first_name"),
                middle_name=row.get(p + "middle_name"),
                last_name=row.get(p + "last_name"),
                name_suffix=row.get(p + "name_suffix"),
                city=row.get(p + "city"),
                state=row.get(p + "state"),
                zip=row.get(p + "zip"),
                country=row.get(p + "country"),
                primary_type=row.get(p + "primary_type"),
                specialty=row.get(p + "specialty"),
                license_states=_licenses(row, p + "license_state_"),
            )
        )
    return pis


def _payment(row: _Row, kind: str, skip: SkipRecord) -> Payment | None:
    record_id = row.get("record_id")
    if not record_id:
        skip("missing record id")
        return None
    amount = parse_amount(row.get("amount"))
    if amount is None:
        skip("unparseable amount")
        return None
    date = parse_date(row.get("date"))
    if date is None:
        skip("unparseable date")
        return None
    year_text = row.get("program_year")
    # Program year is the calendar year of the payment; trimmed files leave the column out.
    program_year = int(year_text) if year_text.isdigit() else date.year
    drugs, devices = _products(row)
    n_payments = row.get("number_of_payments")
    nct_id = row.get("nct_id")
    match = NCT_RE.search(nct_id) or NCT_RE.search(row.get("research_link"))
    return Payment(
        record_id=record_id,
        program_year=program_year,
        kind=kind,
        amount_usd=amount,
        date=date,
        recipient_type=row.get("recipient_type"),
        recipient_profile_id=row.get("profile_id"),
        npi=row.get("npi"),
        first_name=row.get("first_name"),
        middle_name=row.get("middle_name"),
        last_name=row.get("last_name"),
        name_suffix=row.get("name_suffix"),
        city=row.get("city"),
        state=row.get("state"),
        zip=row.get("zip"),
        country=row.get("country"),
        primary_type=row.get("primary_type"),
        specialty=row.get("specialty"),
        license_states=_licenses(row, "license_state_"),
        teaching_hospital_name=row.get("teaching_hospital_name"),
        teaching_hospital_id=row.get("teaching_hospital_id"),
        manufacturer=row.get("manufacturer"),
        manufacturer_id=row.get("manufacturer_id"),
        number_of_payments=int(n_payments) if n_payments.isdigit() else None,
        nature_of_payment=row.get("nature_of_payment"),
        form_of_payment=row.get("form_of_payment"),
        third_party=row.get("third_party"),
        drug_names=drugs,
        device_names=devices,
        study_name=row.get("study_name"),
        nct_id=match.group(0).upper() if match else "",
        context="" if row.get("context").upper() == "NA" else row.get("context"),
        principal_investigators=_pis(row) if kind == KIND_RESEARCH else [],
    )


def _profile(row: _Row, skip: SkipRecord) -> PhysicianProfile | None:
    profile_id = row.get("profile_id")
    if not profile_id:
        skip("missing profile id")
        return None
    return PhysicianProfile(
        profile_id=profile_id,
        npi=row.get("npi"),
        profile_type=row.get("profile_type"),
        first_name=row.get("profile_first_name"),
        middle_name=row.get("profile_middle_name"),
        last_name=row.get("profile_last_name"),
        name_suffix=row.get("profile_suffix"),
        alternate_first_name=row.get("profile_alt_first_name"),
        alternate_middle_name=row.get("profile_alt_middle_name"),
        alternate_last_name=row.get("profile_alt_last_name"),
        address_line_1=row.get("profile_address_1"),
        address_line_2=row.get("profile_address_2"),
        city=row.get("profile_city"),
        state=row.get("profile_state"),
        zip=row.get("profile_zip"),
        country=row.get("profile_country"),
        specialty=row.get("profile_specialty"),
        license_states=_licenses(row, "profile_license_state_"),
    )


def _rows(fh: IO[str], path: Path) -> tuple[dict[str, int], int, Iterator[list[str]]]:
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        raise SkippedInput(path, "empty file") from None
    except csv.Error as exc:
        raise SkippedInput(path, f"not a CSV file ({exc})") from exc
    return resolve_header(header), len(header), reader


def iter_open_payments(
    path: Path | str, skip: SkipRecord | None = None
) -> Iterator[Payment | PhysicianProfile]:
    """Stream Payment rows (general or research file) or PhysicianProfile rows (profile supplement) from a CSV.

    Raises SkippedInput for a file that is not usable as a whole; calls ``skip(reason)`` for each bad row.
    """
    path = Path(path)
    skip = skip or (lambda reason: None)
    with open_text(path, errors="replace") as fh:
        index, width, reader = _rows(fh, path)
        kind = file_kind(index, path)
        try:
            for values in reader:
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue  # blank line, not a record
                if len(values) != width:
                    skip("malformed row (wrong number of columns)")
                    continue
                row = _Row(index, values)
                record = _profile(row, skip) if kind == KIND_PROFILES else _payment(row, kind, skip)
                if record is not None:
                    yield record
        except csv.Error as exc:
            raise SkippedInput(path, f"malformed CSV ({exc})") from exc
