"""The write path of the transparency ledger: record, void and correct transfers, record consent, import a file.

Every function checks the acting user's permission, validates its input again (the CLI, the import and other
apps call these directly) and writes inside the caller's audit context; the audit rows are written by the
models, and an import adds one event with its counts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid as uuid_lib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import User
from liaison.core.audit import record_event
from liaison.core.context import reason as audit_reason
from liaison.core.permissions import require
from liaison.core.validation import clean_choice, clean_text, clean_text_list, error_messages
from liaison.people.models import HCP, HCPStatus, Organization

from .models import (
    DisclosureConsent,
    Nature,
    PaymentForm,
    SourceKind,
    TransferKind,
    TransferOfValue,
)

MAX_AMOUNT = Decimal("9999999999.99")
MAX_PRODUCTS = 5  # CMS: up to five associated products per payment
MAX_REGISTER_IDS = 10
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
NCT_RE = re.compile(r"^NCT\d{8}$")
# Natures EFPIA discloses only for organisations (HCOs); an HCP cannot receive them.
ORGANIZATION_ONLY = (Nature.DONATION, Nature.SPONSORSHIP)


def _clean_date(value: Any) -> dt.date:
    """A payment date: a real date, not in the future, not before 2000."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({"paid_on": "must be a date (YYYY-MM-DD)"})
    if value > timezone.localdate():
        raise ValidationError({"paid_on": "cannot be in the future: record a transfer once it is made"})
    if value.year < 2000:
        raise ValidationError({"paid_on": "must be in 2000 or later"})
    return value


def clean_amount(value: Any) -> Decimal:
    """A positive amount with at most two decimals; text ("1,250.00") and Decimal are accepted, floats and
    bools are not (a float has already lost the cents it was given)."""
    if isinstance(value, bool | float):
        raise ValidationError({"amount": "must be a number such as 1250.00"})
    if isinstance(value, str):
        value = value.replace(",", "").strip()
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"amount": "must be a number such as 1250.00"}) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": "must be more than zero"})
    if amount > MAX_AMOUNT:
        raise ValidationError({"amount": "is too large"})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": "has more than two decimals"})
    return amount.quantize(Decimal("0.01"))


def _clean_code(value: Any, field_name: str, pattern: re.Pattern[str], what: str) -> str:
    """An upper-case ISO code (currency, country) matching `pattern`."""
    text = clean_text(value, field_name, required=True, max_length=3).upper()
    if not pattern.match(text):
        raise ValidationError({field_name: f"must be {what}"})
    return text


def _clean_register_ids(value: Any) -> dict[str, str]:
    """{"register": "identifier"}: short text keys and values, at most ten."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            {"register_ids": 'must map register names to identifiers, e.g. {"RPPS": "..."}'}
        )
    if len(value) > MAX_REGISTER_IDS:
        raise ValidationError({"register_ids": f"at most {MAX_REGISTER_IDS} identifiers"})
    out = {}
    for key, ident in value.items():
        name = clean_text(key, "register_ids", required=True, max_length=40)
        out[name] = clean_text(ident, "register_ids", required=True, max_length=100)
    return dict(sorted(out.items()))


def _clean_source(kind: Any, source_id: Any, label: Any) -> dict[str, Any]:
    """What the transfer was paid for: the kind, the uuid of the record, a label."""
    source_kind = clean_choice(kind or SourceKind.MANUAL, "source_kind", SourceKind.values)
    if source_id not in (None, ""):
        try:
            source_id = uuid_lib.UUID(str(source_id))
        except ValueError:
            raise ValidationError({"source_id": "must be the uuid of the event, contract or study"}) from None
    return {
        "source_kind": source_kind,
        "source_id": source_id or None,
        "source_label": clean_text(label, "source_label", max_length=300),
    }


def _clean_recipient(hcp: Any, organization: Any) -> dict[str, Any]:
    """Exactly one recipient: an active HCP record or an organisation."""
    if (hcp is None) == (organization is None):
        raise ValidationError({"recipient": "give either the HCP or the organisation that received it"})
    if hcp is not None:
        if not isinstance(hcp, HCP):
            raise ValidationError({"recipient_hcp": "unknown HCP"})
        if hcp.status == HCPStatus.MERGED:
            raise ValidationError({"recipient_hcp": "this HCP record was merged; use the surviving record"})
    if organization is not None and not isinstance(organization, Organization):
        raise ValidationError({"recipient_organization": "unknown organisation"})
    return {"recipient_hcp": hcp, "recipient_organization": organization}


def clean_transfer(
    *,
    nature: Any,
    paid_on: Any,
    amount: Any,
    currency: Any,
    country: Any,
    recipient_hcp: Any = None,
    recipient_organization: Any = None,
    form_of_payment: Any = PaymentForm.CASH,
    register_ids: Any = None,
    products: Any = (),
    study_name: Any = "",
    nct_id: Any = "",
    description: Any = "",
    source_kind: Any = SourceKind.MANUAL,
    source_id: Any = None,
    source_label: Any = "",
) -> dict[str, Any]:
    """The field values of a transfer, checked; raises ValidationError naming the field at fault."""
    values = _clean_recipient(recipient_hcp, recipient_organization)
    nature = clean_choice(nature, "nature", Nature.values)
    if nature in ORGANIZATION_ONLY and recipient_hcp is not None:
        raise ValidationError({"nature": "donations and event sponsorship go to organisations, not to HCPs"})
    kind = TransferKind.RESEARCH if nature == Nature.RESEARCH else TransferKind.GENERAL
    register = _clean_register_ids(register_ids)
    if recipient_hcp is not None and recipient_hcp.npi and "NPI" not in register:
        register["NPI"] = recipient_hcp.npi
    product_list = clean_text_list(
        list(products) if isinstance(products, tuple) else products, "products", max_length=500
    )
    if len(product_list) > MAX_PRODUCTS:
        raise ValidationError({"products": f"at most {MAX_PRODUCTS} products (CMS reports five)"})
    study = clean_text(study_name, "study_name", max_length=500)
    nct = clean_text(nct_id, "nct_id", max_length=20).upper()
    if nct and not NCT_RE.match(nct):
        raise ValidationError({"nct_id": "must be a ClinicalTrials.gov id: NCT and eight digits"})
    if kind == TransferKind.RESEARCH and not study:
        raise ValidationError({"study_name": "a research payment needs the name of the study"})
    if kind == TransferKind.GENERAL and (study or nct):
        raise ValidationError({"study_name": "only research payments name a study"})
    values.update(
        kind=kind,
        nature=nature,
        form_of_payment=clean_choice(
            form_of_payment or PaymentForm.CASH, "form_of_payment", PaymentForm.values
        ),
        paid_on=_clean_date(paid_on),
        amount=clean_amount(amount),
        currency=_clean_code(currency, "currency", CURRENCY_RE, "a three-letter ISO 4217 code such as USD"),
        country=_clean_code(country, "country", COUNTRY_RE, "a two-letter ISO 3166 code such as US"),
        register_ids=register,
        products=product_list,
        study_name=study,
        nct_id=nct,
        description=clean_text(description, "description", max_length=4000),
        **_clean_source(source_kind, source_id, source_label),
    )
    return values


def _clean_external_id(value: Any) -> str | None:
    """The paying system's identifier, or None when not given."""
    text = clean_text(value, "external_id", max_length=100)
    return text or None


@transaction.atomic
def record_transfer(*, acting_user: User, external_id: str | None = None, **fields: Any) -> TransferOfValue:
    """Record one transfer of value (fields as `clean_transfer` takes them); `external_id` is the paying system's
    identifier, unique in the ledger."""
    require(acting_user, "transfer_of_value", "add")
    values = clean_transfer(**fields)
    ext = _clean_external_id(external_id)
    if ext and TransferOfValue.objects.filter(external_id=ext).exists():
        raise ValidationError({"external_id": f"a transfer with external id {ext!r} is already recorded"})
    return TransferOfValue.objects.create(recorded_by=acting_user, external_id=ext, **values)


@transaction.atomic
def void_transfer(transfer: TransferOfValue, *, acting_user: User, reason: str) -> TransferOfValue:
    """Void a transfer recorded in error; it stays in the ledger, marked, and leaves every export."""
    require(acting_user, "transfer_of_value", "change")
    if not TransferOfValue.objects.restrict(acting_user, "change").filter(pk=transfer.pk).exists():
        raise ValidationError({"__all__": "you may not change this transfer"})
    why = clean_text(reason, "reason", required=True, max_length=1000)
    locked = TransferOfValue.objects.select_for_update().get(pk=transfer.pk)
    if locked.voided_at is not None:
        raise ValidationError({"__all__": "this transfer is already void"})
    locked.voided_at = timezone.now()
    locked.void_reason = why
    with audit_reason(f"voided: {why}"):
        locked.save()
    return locked


@transaction.atomic
def correct_transfer(
    transfer: TransferOfValue, *, acting_user: User, reason: str, **fields: Any
) -> TransferOfValue:
    """Void `transfer` and record its corrected version (all fields given again); the void points at it."""
    require(acting_user, "transfer_of_value", "add")
    voided = void_transfer(transfer, acting_user=acting_user, reason=reason)
    replacement = record_transfer(acting_user=acting_user, **fields)
    voided.replaced_by = replacement
    with audit_reason(f"corrected: {voided.void_reason}"):
        voided.save()
    return replacement


@transaction.atomic
def record_consent(
    *,
    acting_user: User,
    hcp: HCP,
    year: int,
    consented: bool,
    recorded_on: dt.date | None = None,
    note: str = "",
) -> DisclosureConsent:
    """Record whether the HCP agreed to individual disclosure of `year`'s transfers (replacing an earlier
    answer for that year; the audit trail keeps it)."""
    require(acting_user, "transfer_of_value", "add")
    if not isinstance(hcp, HCP):
        raise ValidationError({"hcp": "unknown HCP"})
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError({"year": "must be a year between 2000 and 2100"})
    if not isinstance(consented, bool):
        raise ValidationError({"consented": "must be yes or no"})
    today = timezone.localdate()
    recorded_on = recorded_on or today
    if not isinstance(recorded_on, dt.date) or isinstance(recorded_on, dt.datetime) or recorded_on > today:
        raise ValidationError({"recorded_on": "must be a date no later than today"})
    values = {
        "consented": consented,
        "recorded_on": recorded_on,
        "recorded_by": acting_user,
        "note": clean_text(note, "note", max_length=1000),
    }
    existing = DisclosureConsent.objects.select_for_update().filter(hcp=hcp, year=year).first()
    if existing is None:
        return DisclosureConsent.objects.create(hcp=hcp, year=year, **values)
    for name, value in values.items():
        setattr(existing, name, value)
    with audit_reason("consent to disclosure recorded again"):
        existing.save()
    return existing


def move_hcp_records(duplicate: HCP, survivor: HCP) -> None:
    """An HCP merge step (people/extensions.py): transfers move to the survivor, and consents for years the
    survivor has none for (the survivor's own answer wins), audited."""
    TransferOfValue.objects.filter(recipient_hcp=duplicate).update(recipient_hcp=survivor)
    taken = set(DisclosureConsent.objects.filter(hcp=survivor).values_list("year", flat=True))
    DisclosureConsent.objects.filter(hcp=duplicate).exclude(year__in=taken).update(hcp=survivor)


# --- import ---------------------------------------------------------------------------------------------------

IMPORT_COLUMNS = (
    "external_id",
    "recipient_npi",
    "recipient_hcp",
    "recipient_organization",
    "nature",
    "form_of_payment",
    "paid_on",
    "amount",
    "currency",
    "country",
    "products",
    "study_name",
    "nct_id",
    "description",
    "source_kind",
    "source_label",
    "register_ids",
)
REQUIRED_COLUMNS = ("external_id", "nature", "paid_on", "amount", "currency", "country")
# The fields compared when an external id is met again: equal means "unchanged", different is refused.
COMPARED = (
    "recipient_hcp_id",
    "recipient_organization_id",
    "nature",
    "form_of_payment",
    "paid_on",
    "amount",
    "currency",
    "country",
    "products",
    "study_name",
    "nct_id",
)


@dataclass
class Refusal:
    """One refused input row: the file line (the header is line 1), the field at fault and why."""

    line: int
    field: str
    message: str


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do); every data row is counted exactly once."""

    rows: int = 0
    created: int = 0
    unchanged: int = 0
    refused: list[Refusal] = field(default_factory=list)
    dry_run: bool = False

    @property
    def refused_rows(self) -> int:
        """How many rows were refused (a row may be refused on several fields)."""
        return len({r.line for r in self.refused})

    def counts(self) -> dict[str, int]:
        """The figures of the audit event and the summaries."""
        return {
            "rows": self.rows,
            "created": self.created,
            "unchanged": self.unchanged,
            "refused": self.refused_rows,
        }

    def summary(self) -> str:
        """One line for the CLI and the page."""
        verb = "would be created" if self.dry_run else "created"
        return (
            f"{self.rows} row(s): {self.created} {verb}, {self.unchanged} unchanged, "
            f"{self.refused_rows} refused"
        )


def _parse_date(text: str) -> dt.date:
    """An import file's YYYY-MM-DD date."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError({"paid_on": "must be a date as YYYY-MM-DD"}) from None


def _recipient_of(row: Mapping[str, str]) -> dict[str, Any]:
    """The recipient a row names: an HCP by NPI or uuid, or an organisation by uuid (exactly one)."""
    npi, hcp_ref, org_ref = (
        row.get(k, "").strip() for k in ("recipient_npi", "recipient_hcp", "recipient_organization")
    )
    named = [
        k
        for k, v in (("recipient_npi", npi), ("recipient_hcp", hcp_ref), ("recipient_organization", org_ref))
        if v
    ]
    if len(named) != 1:
        raise ValidationError(
            {"recipient": "name exactly one of recipient_npi, recipient_hcp, recipient_organization"}
        )
    try:
        if npi:
            hcp = HCP.objects.filter(npi=npi).first()
            if hcp is None:
                raise ValidationError({"recipient_npi": f"no HCP with NPI {npi}"})
            return {"recipient_hcp": hcp}
        if hcp_ref:
            found = HCP.objects.filter(uuid=uuid_lib.UUID(hcp_ref)).first()
            if found is None:
                raise ValidationError({"recipient_hcp": "no HCP with this uuid"})
            return {"recipient_hcp": found}
        org = Organization.objects.filter(uuid=uuid_lib.UUID(org_ref)).first()
        if org is None:
            raise ValidationError({"recipient_organization": "no organisation with this uuid"})
        return {"recipient_organization": org}
    except ValueError:
        raise ValidationError({named[0]: "must be a uuid"}) from None


def _register_ids_of(text: str) -> dict[str, str]:
    """ "RPPS=10001234567; BIG=123" -> {"RPPS": "10001234567", "BIG": "123"}."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValidationError({"register_ids": "write register ids as NAME=value; NAME=value"})
        out[name.strip()] = value.strip()
    return out


def _fields_of(row: Mapping[str, str]) -> dict[str, Any]:
    """A file row as `record_transfer` arguments (the action validates them again)."""
    return {
        **_recipient_of(row),
        "nature": row.get("nature", "").strip(),
        "form_of_payment": row.get("form_of_payment", "").strip() or PaymentForm.CASH,
        "paid_on": _parse_date(row.get("paid_on", "")),
        "amount": row.get("amount", "").strip(),
        "currency": row.get("currency", "").strip().upper(),
        "country": row.get("country", "").strip().upper(),
        "products": [p for p in (s.strip() for s in row.get("products", "").split(";")) if p],
        "study_name": row.get("study_name", ""),
        "nct_id": row.get("nct_id", ""),
        "description": row.get("description", ""),
        "source_kind": row.get("source_kind", "").strip() or SourceKind.IMPORT,
        "source_label": row.get("source_label", ""),
        "register_ids": _register_ids_of(row.get("register_ids", "")),
    }


def _differences(existing: TransferOfValue, values: Mapping[str, Any]) -> list[str]:
    """The compared fields whose values differ between a stored transfer and an import row's."""
    new = TransferOfValue(**values)
    return [name.removesuffix("_id") for name in COMPARED if getattr(existing, name) != getattr(new, name)]


def _import_row(acting_user: User, line: int, row: Mapping[str, str], report: ImportReport) -> None:
    """Import one row: counted as created or unchanged, or refused with its line and each field at fault."""
    try:
        fields = _fields_of(row)
        ext = _clean_external_id(row.get("external_id"))
        if not ext:
            raise ValidationError(
                {"external_id": "is required, so that importing the file again changes nothing"}
            )
        existing = TransferOfValue.objects.filter(external_id=ext).first()
        if existing is not None:
            changed = _differences(existing, clean_transfer(**fields))
            if changed:
                raise ValidationError(
                    {
                        "external_id": f"already recorded with other values ({', '.join(changed)}); void that "
                        "transfer and import the correction under a new external id"
                    }
                )
            report.unchanged += 1
            return
        with transaction.atomic():
            record_transfer(acting_user=acting_user, external_id=ext, **fields)
        report.created += 1
    except ValidationError as exc:
        for name, messages in error_messages(exc).items():
            for message in messages:
                report.refused.append(Refusal(line=line, field=name, message=message))


def read_import_file(data: bytes | str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (line, values) pairs of an import CSV (UTF-8, a BOM allowed); blank lines are not
    rows. The line is where the row ends in the file (a quoted value may span lines)."""
    text = data.decode("utf-8-sig", errors="strict") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    rows = [(reader.line_num, values) for values in reader if any(v.strip() for v in values)]
    return header, rows


@transaction.atomic
def import_transfers(*, acting_user: User, data: bytes | str, dry_run: bool = False) -> ImportReport:
    """Import a CSV of transfers (columns IMPORT_COLUMNS, docs/transparency.md): each row is created, found
    unchanged (same external id, same values) or refused with its line, field and reason; nothing is dropped.
    Importing the same file again changes nothing. A dry run reports the same and writes nothing. The import
    is one audit event with its counts (plus the rows' own events)."""
    require(acting_user, "transfer_of_value", "add")
    require(acting_user, "transfer_of_value", "change")
    report = ImportReport(dry_run=dry_run)
    try:
        header, rows = read_import_file(data)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError({"file": f"not a UTF-8 CSV file ({exc})"}) from None
    unknown = [h for h in header if h not in IMPORT_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing:
        problems = ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) + (
            [f"missing column(s) {', '.join(missing)}"] if missing else []
        )
        raise ValidationError({"file": f"line 1: {'; '.join(problems)}"})
    for line, values in rows:
        report.rows += 1
        if len(values) != len(header):
            message = f"has {len(values)} values; the header has {len(header)} columns"
            report.refused.append(Refusal(line, "__all__", message))
            continue
        _import_row(acting_user, line, dict(zip(header, values, strict=True)), report)
    record_event(
        "transferofvalue.imported",
        action="import",
        object_type="transparency.transferofvalue",
        object_repr=report.summary()[:200],
        changes={"counts": [None, report.counts()]},
        reason="dry run" if dry_run else "",
    )
    if dry_run:
        transaction.set_rollback(True)
    return report


__all__: Sequence[str] = (
    "ImportReport",
    "Refusal",
    "clean_transfer",
    "correct_transfer",
    "import_transfers",
    "move_hcp_records",
    "record_consent",
    "record_transfer",
    "void_transfer",
)
