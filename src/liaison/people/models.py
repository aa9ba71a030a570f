"""Healthcare professionals, organisations, affiliations, communication preferences and consent."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from liaison.accounts.models import Territory, TherapeuticArea, User
from liaison.core.models import AuditedModel


class OrganizationKind(models.TextChoices):
    HOSPITAL = "hospital", "Hospital or health system"
    UNIVERSITY = "university", "University or academic centre"
    PRACTICE = "practice", "Practice or clinic"
    RESEARCH = "research", "Research institute"
    SOCIETY = "society", "Professional society"
    PAYER = "payer", "Payer"
    OTHER = "other", "Other"


class Organization(AuditedModel):
    """An institution HCPs are affiliated with."""

    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=OrganizationKind.choices, default=OrganizationKind.OTHER)
    city = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=80, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    permission_resource: ClassVar[str] = "organization"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "city", "country"], name="unique_org_name_place")
        ]

    def __str__(self) -> str:
        return self.name


class Tier(models.IntegerChoices):
    TIER_1 = 1, "Tier 1 (national/international)"
    TIER_2 = 2, "Tier 2 (regional)"
    TIER_3 = 3, "Tier 3 (local)"
    TIER_4 = 4, "Tier 4 (emerging)"


class Channel(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    CONGRESS = "congress", "Congress"
    ADVISORY_BOARD = "advisory_board", "Advisory board"


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    TWICE_A_YEAR = "twice_a_year", "Twice a year"
    YEARLY = "yearly", "Yearly"
    ON_REQUEST = "on_request", "Only on request"


class ConsentStatus(models.TextChoices):
    NOT_ASKED = "not_asked", "Not asked"
    GRANTED = "granted", "Granted"
    WITHDRAWN = "withdrawn", "Withdrawn"


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest"
    CONTRACT = "contract", "Contract"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"


class HCPStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    MERGED = "merged", "Merged into another record"


class HCP(AuditedModel):
    """A healthcare professional or Key Opinion Leader.

    Identifiers (NPI, ORCID, and others such as an Open Payments profile id) identify the person across public
    sources. A merged record keeps its history and points at the survivor through `merged_into`.
    """

    prefix = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    suffix = models.CharField(max_length=20, blank=True)
    credentials = models.CharField(max_length=100, blank=True, help_text="e.g. MD, PhD")
    specialties = models.JSONField(default=list, blank=True)
    npi = models.CharField(max_length=10, null=True, blank=True, unique=True, verbose_name="NPI")
    orcid = models.CharField(max_length=19, null=True, blank=True, unique=True, verbose_name="ORCID")
    identifiers = models.JSONField(default=dict, blank=True, help_text="Other identifiers by scheme")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    city = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=80, blank=True)
    therapeutic_areas = models.ManyToManyField(TherapeuticArea, blank=True, related_name="hcps")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_hcps"
    )
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.PROTECT, related_name="hcps"
    )
    preferred_channels = models.JSONField(default=list, blank=True)
    preferred_time_window = models.CharField(max_length=120, blank=True, help_text="e.g. Tue-Thu 08:00-10:00")
    preferred_frequency = models.CharField(max_length=20, choices=Frequency.choices, blank=True)
    consent_status = models.CharField(
        max_length=20, choices=ConsentStatus.choices, default=ConsentStatus.NOT_ASKED
    )
    lawful_basis = models.CharField(
        max_length=30, choices=LawfulBasis.choices, default=LawfulBasis.LEGITIMATE_INTEREST
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=HCPStatus.choices, default=HCPStatus.ACTIVE)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )

    permission_resource: ClassVar[str] = "hcp"

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = "HCP"
        indexes = [models.Index(fields=["last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        parts = [self.first_name, self.middle_name, self.last_name]
        name = " ".join(p for p in parts if p)
        if self.suffix:
            name += f" {self.suffix}"
        return f"{name}, {self.credentials}" if self.credentials else name

    @property
    def primary_affiliation(self) -> Affiliation | None:
        affs = list(self.affiliations.all())
        return next((a for a in affs if a.primary), affs[0] if affs else None)

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return queryset


class ExternalRole(models.TextChoices):
    """Who, besides HCPs, field medical meets: systems of care bring payers, pharmacists and patients' voices."""

    PAYER = "payer", "Payer or formulary decision-maker"
    PHARMACIST = "pharmacist", "Pharmacist"
    PATIENT_ADVOCATE = "patient_advocate", "Patient-advocacy representative"
    HEALTH_ECONOMIST = "health_economist", "Health economist"
    NURSE = "nurse", "Nurse or allied health professional"
    RESEARCHER = "researcher", "Researcher (non-prescribing)"
    GUIDELINE = "guideline", "Guideline or HTA body member"
    OTHER = "other", "Other"


class ExternalPerson(AuditedModel):
    """A person outside the company who is not an HCP record: a payer, a pharmacist, a patient advocate ...

    They attend meetings (engagement.Interaction.external_attendees) and events (programs) with their
    organisation. Like HCPs they are directory entries, not medical content: what was said lives on the
    interaction or the event.
    """

    first_name = models.CharField(max_length=120)
    last_name = models.CharField(max_length=120)
    role = models.CharField(max_length=30, choices=ExternalRole.choices, default=ExternalRole.OTHER)
    title = models.CharField(max_length=200, blank=True, help_text="Job title, e.g. Director of Pharmacy")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="external_people"
    )
    email = models.EmailField(blank=True)
    country = models.CharField(max_length=80, blank=True)

    permission_resource: ClassVar[str] = "external_person"

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "external people"

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Affiliation(AuditedModel):
    """An HCP's position at an organisation."""

    hcp = models.ForeignKey(HCP, on_delete=models.CASCADE, related_name="affiliations")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="affiliations")
    title = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    primary = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    permission_resource: ClassVar[str] = "hcp"

    class Meta:
        ordering = ["-primary", "organization__name"]

    def __str__(self) -> str:
        return f"{self.hcp_id} @ {self.organization}"
