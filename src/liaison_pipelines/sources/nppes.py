"""The NPPES NPI registry (``npidata_pfile_*.csv``, about 9M rows and 330 columns): individual providers only.

Organisations (entity type 2) and deactivated NPIs (no entity type) are counted as skipped with their reason, as
are rows whose NPI fails its check digit or that are cut short. Columns are found by name in the header, so the
monthly full file and the weekly increments both work, and a renamed column elsewhere does not matter.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..inputs import SkippedInput, open_text

N_TAXONOMIES = 15

COL_NPI = "NPI"
COL_ENTITY = "Entity Type Code"
COLUMNS = {
    "last_name": "Provider Last Name (Legal Name)",
    "first_name": "Provider First Name",
    "middle_name": "Provider Middle Name",
    "name_prefix": "Provider Name Prefix Text",
    "name_suffix": "Provider Name Suffix Text",
    "credential": "Provider Credential Text",
    "other_last_name": "Provider Other Last Name",
    "other_first_name": "Provider Other First Name",
    "address_line_1": "Provider First Line Business Practice Location Address",
    "address_line_2": "Provider Second Line Business Practice Location Address",
    "city": "Provider Business Practice Location Address City Name",
    "state": "Provider Business Practice Location Address State Name",
    "postal_code": "Provider Business Practice Location Address Postal Code",
    "country": "Provider Business Practice Location Address Country Code (If outside U.S.)",
    "enumeration_date": "Provider Enumeration Date",
    "last_update_date": "Last Update Date",
    "deactivation_date": "NPI Deactivation Date",
    "reactivation_date": "NPI Reactivation Date",
}
REQUIRED = (
    COL_NPI,
    COL_ENTITY,
    COLUMNS["last_name"],
    COLUMNS["first_name"],
    "Healthcare Provider Taxonomy Code_1",
)

REASON_ORGANISATION = "organisation, not an individual"
REASON_DEACTIVATED = "deactivated NPI (no entity type)"
REASON_BAD_NPI = "invalid NPI (not 10 digits or bad check digit)"
REASON_SHORT_ROW = "malformed row (wrong number of columns)"

csv.field_size_limit(min(sys.maxsize, 1 << 30))


@dataclass(slots=True)
class Provider:
    """One individual provider (entity type 1) from the NPI registry."""

    npi: str
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    name_prefix: str = ""
    name_suffix: str = ""
    credential: str = ""
    other_last_name: str = ""
    other_first_name: str = ""
    address_line_1: str = ""
    address_line_2: str = ""  # suite, floor, building: often what tells two sites of one hospital apart
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    enumeration_date: str = ""
    last_update_date: str = ""
    primary_taxonomy: str = ""
    taxonomies: list[str] = field(default_factory=list)


def npi_is_valid(npi: str) -> bool:
    """The NPI check digit: Luhn over the card-issuer prefix 80840 followed by the ten digits."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed("80840" + npi)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def npi_check_digit(first_nine: str) -> str:
    """The tenth digit that makes `first_nine` a valid NPI (for building test data)."""
    return next(str(d) for d in range(10) if npi_is_valid(first_nine + str(d)))


def _iso(us_date: str) -> str:
    # NPPES writes MM/DD/YYYY
    parts = us_date.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{parts[2]}-{int(parts[0]):02d}-{int(parts[1]):02d}"
    return ""


def iter_providers(path: Path | str, skip: Callable[[str], None] | None = None) -> Iterator[Provider]:
    """Stream the individual providers of an NPPES data file (CSV, gzip or not) with flat memory.

    Raises SkippedInput when the file is not an NPPES data file; calls ``skip(reason)`` for every row not kept.
    """
    path = Path(path)
    skip = skip or (lambda reason: None)
    with open_text(path, errors="replace") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise SkippedInput(path, "empty file") from None
        except csv.Error as exc:
            raise SkippedInput(path, f"not a CSV file ({exc})") from exc
        pos = {name: i for i, name in enumerate(header)}
        missing = [c for c in REQUIRED if c not in pos]
        if missing:
            raise SkippedInput(path, f"not an NPPES data file (no column {missing[0]!r})")
        width = len(header)
        i_npi, i_entity = pos[COL_NPI], pos[COL_ENTITY]
        fields = {key: pos.get(col) for key, col in COLUMNS.items()}
        taxonomy_cols = [
            (
                pos[f"Healthcare Provider Taxonomy Code_{n}"],
                pos.get(f"Healthcare Provider Primary Taxonomy Switch_{n}"),
            )
            for n in range(1, N_TAXONOMIES + 1)
            if f"Healthcare Provider Taxonomy Code_{n}" in pos
        ]
        try:
            for row in reader:
                if not row:
                    continue
                if len(row) != width:
                    skip(REASON_SHORT_ROW)
                    continue
                npi = row[i_npi].strip()
                if not npi_is_valid(npi):
                    skip(REASON_BAD_NPI)
                    continue
                entity = row[i_entity].strip()
                if entity == "2":
                    skip(REASON_ORGANISATION)
                    continue
                if entity != "1":
                    skip(REASON_DEACTIVATED)
                    continue
                values = {key: (row[i].strip() if i is not None else "") for key, i in fields.items()}
                taxonomies, primary = [], ""
                for code_i, switch_i in taxonomy_cols:
                    code = row[code_i].strip()
                    # A provider licensed in several states lists the same taxonomy once per license: keep it once.
                    if code and code not in taxonomies:
                        taxonomies.append(code)
                    if code and not primary and switch_i is not None and row[switch_i].strip().upper() == "Y":
                        primary = code
                yield Provider(
                    npi=npi,
                    last_name=values["last_name"],
                    first_name=values["first_name"],
                    middle_name=values["middle_name"],
                    name_prefix=values["name_prefix"],
                    name_suffix=values["name_suffix"],
                    credential=values["credential"],
                    other_last_name=values["other_last_name"],
                    other_first_name=values["other_first_name"],
                    address_line_1=values["address_line_1"],
                    address_line_2=values["address_line_2"],
                    city=values["city"],
                    state=values["state"],
                    postal_code=values["postal_code"],
                    country=values["country"],
                    enumeration_date=_iso(values["enumeration_date"]),
                    last_update_date=_iso(values["last_update_date"]),
                    # NPPES marks one taxonomy primary; older rows sometimes mark none, then the first one stands
                    primary_taxonomy=primary or (taxonomies[0] if taxonomies else ""),
                    taxonomies=taxonomies,
                )
        except csv.Error as exc:
            raise SkippedInput(path, f"malformed CSV ({exc})") from exc
