"""The write path for HCPs, organisations and affiliations, including duplicate-aware create and merge."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet

from liaison.accounts.models import Territory, TherapeuticArea, User
from liaison.core.audit import record_event
from liaison.core.context import reason as audit_reason
from liaison.core.permissions import require
from liaison.core.validation import clean_choice, clean_text, clean_text_list

from .extensions import merge_steps
from .models import (
    HCP,
    Affiliation,
    Channel,
    ConsentStatus,
    ExternalPerson,
    ExternalRole,
    Frequency,
    HCPStatus,
    LawfulBasis,
    Organization,
    OrganizationKind,
    Tier,
)

NAME_FIELDS = ("prefix", "first_name", "middle_name", "last_name", "suffix", "credentials")
TEXT_FIELDS = {
    "prefix": 20,
    "first_name": 100,
    "middle_name": 100,
    "last_name": 100,
    "suffix": 20,
    "credentials": 100,
    "email": 254,
    "phone": 40,
    "city": 120,
    "state": 80,
    "country": 80,
    "preferred_time_window": 120,
}


class PossibleDuplicate(ValidationError):
    """Raised by create_hcp when records that look like the same person exist; pass allow_duplicate=True."""

    def __init__(self, candidates: list[HCP]) -> None:
        """Name the candidates in the message on `last_name`; keep them on `.candidates` for the UI."""
        self.candidates = candidates
        names = "; ".join(c.full_name for c in candidates[:5])
        super().__init__({"last_name": f"possible duplicate of existing HCP records: {names}"})


def _npi_ok(npi: str) -> bool:
    """NPI check digit (Luhn over the prefix 80840 + first nine digits)."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def _orcid_ok(orcid: str) -> bool:
    """ORCID iD check character (ISO 7064 MOD 11-2 over the first 15 digits)."""
    if not re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", orcid):
        return False
    total = 0
    for ch in orcid.replace("-", "")[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return orcid[-1] == ("X" if check == 10 else str(check))


def _clean_hcp_data(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate the HCP fields present in `data` (all of them unless `partial`)."""
    if not isinstance(data, dict):
        raise ValidationError({"__all__": "HCP data must be an object"})
    cleaned: dict[str, Any] = {}
    for field, limit in TEXT_FIELDS.items():
        if field in data or not partial:
            cleaned[field] = clean_text(
                data.get(field, ""), field, max_length=limit, required=field in ("first_name", "last_name")
            )
    if cleaned.get("email"):
        try:
            validate_email(cleaned["email"])
        except ValidationError as exc:
            raise ValidationError({"email": "is not a valid e-mail address"}) from exc
    if "npi" in data or not partial:
        npi = clean_text(data.get("npi") or "", "npi", max_length=10) or None
        if npi and not _npi_ok(npi):
            raise ValidationError({"npi": "is not a valid 10-digit NPI (check digit mismatch)"})
        cleaned["npi"] = npi
    if "orcid" in data or not partial:
        orcid = clean_text(data.get("orcid") or "", "orcid", max_length=40) or None
        if orcid:
            # People paste the iD as a link too.
            orcid = re.sub(r"^https?://(?:www\.)?orcid\.org/", "", orcid, flags=re.IGNORECASE).upper()
            if not _orcid_ok(orcid):
                raise ValidationError({"orcid": "is not a valid ORCID iD (0000-0000-0000-000X)"})
        cleaned["orcid"] = orcid
    if "specialties" in data or not partial:
        cleaned["specialties"] = clean_text_list(data.get("specialties"), "specialties")
    if "identifiers" in data:
        ids = data.get("identifiers") or {}
        if not isinstance(ids, dict):
            raise ValidationError({"identifiers": "must be an object of scheme: value"})
        cleaned["identifiers"] = {
            clean_text(k, "identifiers", max_length=40): clean_text(str(v), "identifiers", max_length=200)
            for k, v in ids.items()
        }
    if "tier" in data or not partial:
        tier = data.get("tier")
        tier = int(tier) if isinstance(tier, str) and tier.isdigit() else tier
        cleaned["tier"] = clean_choice(tier or None, "tier", [*Tier.values, None], required=False) or None
    if "preferred_channels" in data or not partial:
        channels = clean_text_list(data.get("preferred_channels"), "preferred_channels")
        for channel in channels:
            clean_choice(channel, "preferred_channels", Channel.values)
        cleaned["preferred_channels"] = channels
    if "preferred_frequency" in data or not partial:
        cleaned["preferred_frequency"] = clean_choice(
            data.get("preferred_frequency") or "", "preferred_frequency", Frequency.values, required=False
        )
    if "consent_status" in data:
        cleaned["consent_status"] = clean_choice(
            data["consent_status"], "consent_status", ConsentStatus.values
        )
    if "lawful_basis" in data:
        cleaned["lawful_basis"] = clean_choice(data["lawful_basis"], "lawful_basis", LawfulBasis.values)
    for field, model in (("owner", User), ("territory", Territory)):
        if field in data:
            value = data[field]
            if value is not None and not isinstance(value, model):
                raise ValidationError({field: "unknown record"})
            cleaned[field] = value
    return cleaned


def find_duplicates(
    *,
    first_name: str = "",
    last_name: str = "",
    npi: str | None = None,
    orcid: str | None = None,
    city: str = "",
    exclude: HCP | None = None,
) -> QuerySet[HCP]:
    """HCP records that may be the same person: same NPI or ORCID, or same surname and first initial."""
    query = Q()
    if npi:
        query |= Q(npi=npi)
    if orcid:
        query |= Q(orcid=orcid)
    if last_name and first_name:
        name = Q(last_name__iexact=last_name.strip(), first_name__istartswith=first_name.strip()[:1])
        if city:
            name &= Q(city__iexact=city.strip()) | Q(city="")
        query |= name
    if not query:
        return HCP.objects.none()
    qs = HCP.objects.filter(query).exclude(status=HCPStatus.MERGED)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs


@transaction.atomic
def create_hcp(
    *,
    acting_user: User | None,
    data: dict[str, Any],
    therapeutic_areas: list[TherapeuticArea] | None = None,
    allow_duplicate: bool = False,
) -> HCP:
    """Create an HCP; refuses likely duplicates unless the caller confirms with allow_duplicate=True."""
    if acting_user is not None:
        require(acting_user, "hcp", "add")
    cleaned = _clean_hcp_data(data, partial=False)
    for unique in ("npi", "orcid"):
        if cleaned.get(unique) and HCP.objects.filter(**{unique: cleaned[unique]}).exists():
            raise ValidationError({unique: f"an HCP with this {unique.upper()} already exists"})
    candidates = list(
        find_duplicates(
            first_name=cleaned["first_name"],
            last_name=cleaned["last_name"],
            npi=cleaned.get("npi"),
            orcid=cleaned.get("orcid"),
            city=cleaned.get("city", ""),
        )[:10]
    )
    if candidates and not allow_duplicate:
        raise PossibleDuplicate(candidates)
    hcp = HCP.objects.create(**cleaned)
    if therapeutic_areas:
        hcp.therapeutic_areas.set(therapeutic_areas)
    return hcp


@transaction.atomic
def update_hcp(
    hcp: HCP,
    *,
    acting_user: User | None,
    data: dict[str, Any],
    therapeutic_areas: list[TherapeuticArea] | None = None,
    reason: str = "",
) -> HCP:
    """Change an HCP's profile, preferences or consent; each changed field is audited with old and new value."""
    if acting_user is not None:
        require(acting_user, "hcp", "change")
    if hcp.status == HCPStatus.MERGED:
        raise ValidationError({"__all__": "this record was merged into another and can no longer be changed"})
    cleaned = _clean_hcp_data(data, partial=True)
    for unique in ("npi", "orcid"):
        if (
            cleaned.get(unique)
            and HCP.objects.exclude(pk=hcp.pk).filter(**{unique: cleaned[unique]}).exists()
        ):
            raise ValidationError({unique: f"another HCP already has this {unique.upper()}"})
    for field, value in cleaned.items():
        setattr(hcp, field, value)
    if "consent_status" in cleaned:
        from django.utils import timezone

        hcp.consent_recorded_at = timezone.now()
    with audit_reason(clean_text(reason, "reason")) if reason else _null():
        hcp.save()
        if therapeutic_areas is not None:
            hcp.therapeutic_areas.set(therapeutic_areas)
    return hcp


class _null:
    """A do-nothing context manager (no reason given)."""

    def __enter__(self) -> None:
        """Enter nothing."""
        return None

    def __exit__(self, *exc: Any) -> None:
        """Exit nothing; exceptions propagate."""
        return None


@transaction.atomic
def merge_hcps(survivor: HCP, duplicate: HCP, *, acting_user: User | None, reason: str) -> HCP:
    """Merge `duplicate` into `survivor`: every interaction, insight, inquiry, follow-up and affiliation moves
    to the survivor, empty profile fields are filled from the duplicate, and the duplicate stays as a
    `merged` record pointing at the survivor, so no history is lost. Each move is audited.
    """
    if acting_user is not None:
        require(acting_user, "hcp", "merge")
    reason = clean_text(reason, "reason", required=True)
    if survivor.pk == duplicate.pk:
        raise ValidationError({"__all__": "cannot merge a record into itself"})
    if HCPStatus.MERGED in (survivor.status, duplicate.status):
        raise ValidationError({"__all__": "one of these records is already merged"})
    with audit_reason(f"merge: {reason}"):
        # Interactions, follow-ups, insights and inquiries: each app moves its own (people/extensions.py).
        for move in merge_steps():
            move(duplicate, survivor)
        Affiliation.objects.filter(hcp=duplicate).update(hcp=survivor)
        unique_moves = {}
        for field in ("npi", "orcid"):
            if not getattr(survivor, field) and getattr(duplicate, field):
                unique_moves[field] = getattr(duplicate, field)
                setattr(duplicate, field, None)
        identifiers = {**duplicate.identifiers, **survivor.identifiers}
        duplicate.status = HCPStatus.MERGED
        duplicate.merged_into = survivor
        duplicate.save()
        for field in (*TEXT_FIELDS, "tier", "preferred_frequency", "owner", "territory"):
            if not getattr(survivor, field) and getattr(duplicate, field):
                setattr(survivor, field, getattr(duplicate, field))
        for field, value in unique_moves.items():
            setattr(survivor, field, value)
        survivor.identifiers = identifiers
        survivor.specialties = list(dict.fromkeys([*survivor.specialties, *duplicate.specialties]))
        survivor.preferred_channels = list(
            dict.fromkeys([*survivor.preferred_channels, *duplicate.preferred_channels])
        )
        survivor.save()
        survivor.therapeutic_areas.add(*duplicate.therapeutic_areas.all())
        record_event(
            "hcp.merged", obj=survivor, action="merge", changes={"merged_from": [None, str(duplicate.uuid)]}
        )
    return survivor


@transaction.atomic
def save_organization(
    org: Organization | None, *, acting_user: User | None, data: dict[str, Any]
) -> Organization:
    """Create or change an organisation."""
    if acting_user is not None:
        require(acting_user, "organization", "add" if org is None else "change")
    org = org or Organization()
    org.name = clean_text(data.get("name", org.name), "name", required=True, max_length=300)
    org.kind = clean_choice(
        data.get("kind", org.kind or OrganizationKind.OTHER), "kind", OrganizationKind.values
    )
    for field, limit in (("city", 120), ("state", 80), ("country", 80)):
        setattr(org, field, clean_text(data.get(field, getattr(org, field)), field, max_length=limit))
    clash = Organization.objects.exclude(pk=org.pk).filter(
        name__iexact=org.name, city__iexact=org.city, country__iexact=org.country
    )
    if clash.exists():
        raise ValidationError({"name": "an organisation with this name already exists in this place"})
    org.save()
    return org


@transaction.atomic
def save_external_person(
    person: ExternalPerson | None, *, acting_user: User | None, data: dict[str, Any]
) -> ExternalPerson:
    """Create or change an external person (payer, pharmacist, patient advocate ...).

    `organization` in `data` is an Organization record (resolved by the caller) or None.
    """
    if acting_user is not None:
        require(acting_user, "external_person", "add" if person is None else "change")
    person = person or ExternalPerson()
    person.first_name = clean_text(
        data.get("first_name", person.first_name), "first_name", required=True, max_length=120
    )
    person.last_name = clean_text(
        data.get("last_name", person.last_name), "last_name", required=True, max_length=120
    )
    person.role = clean_choice(
        data.get("role", person.role or ExternalRole.OTHER), "role", ExternalRole.values
    )
    person.title = clean_text(data.get("title", person.title), "title", max_length=200)
    person.country = clean_text(data.get("country", person.country), "country", max_length=80)
    email = clean_text(data.get("email", person.email), "email", max_length=254)
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": "enter a valid e-mail address"}) from exc
    person.email = email
    organization = data.get("organization", person.organization)
    if organization is not None and not isinstance(organization, Organization):
        raise ValidationError({"organization": "unknown organisation"})
    person.organization = organization
    person.save()
    return person


@transaction.atomic
def add_affiliation(
    hcp: HCP,
    organization: Organization,
    *,
    acting_user: User | None,
    title: str = "",
    department: str = "",
    primary: bool = False,
) -> Affiliation:
    """Affiliate an HCP with an organisation; a new primary affiliation demotes the old one."""
    if acting_user is not None:
        require(acting_user, "hcp", "change")
    if primary:
        hcp.affiliations.filter(primary=True).update(primary=False)
    return Affiliation.objects.create(
        hcp=hcp,
        organization=organization,
        primary=primary,
        title=clean_text(title, "title", max_length=200),
        department=clean_text(department, "department", max_length=200),
    )
