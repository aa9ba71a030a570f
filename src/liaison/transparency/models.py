"""The ledger of transfers of value to HCPs and organisations, and HCPs' yearly consent to individual disclosure.

A transfer is never deleted or edited in place: a correction voids it (with a reason) and records a new one,
so every submitted figure can be traced. What the exports make of the ledger (CMS Open Payments, EFPIA
disclosure) and which rules they apply is written down in docs/transparency.md.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q

from liaison.accounts.models import User
from liaison.core.models import AuditedModel
from liaison.core.roles import Role
from liaison.people.models import HCP, Organization


class TransferKind(models.TextChoices):
    """CMS keeps general and research payments in separate files; EFPIA discloses R&D in aggregate."""

    GENERAL = "general", "General payment"
    RESEARCH = "research", "Research payment"


class Nature(models.TextChoices):
    CONSULTING_FEE = "consulting_fee", "Consulting fee"
    HONORARIUM = "honorarium", "Honorarium"
    SPEAKER_FEE = "speaker_fee", "Speaker fee (non-accredited programme)"
    TRAVEL = "travel", "Travel"
    LODGING = "lodging", "Lodging"
    FOOD_BEVERAGE = "food_beverage", "Food and beverage"
    REGISTRATION_FEE = "registration_fee", "Event registration fee"
    SPONSORSHIP = "sponsorship", "Event sponsorship (organisation)"
    GRANT = "grant", "Grant"
    DONATION = "donation", "Donation (organisation)"
    RESEARCH = "research", "Research payment"


# Nature_of_Payment_or_Transfer_of_Value as CMS spells it (Open Payments data dictionary, PY2021 onwards). A
# research payment has no nature in CMS's research file; a registration fee or sponsorship is reported by CMS
# under education or grant only after a judgement this code does not make, so those have no CMS nature and a
# US row of them is refused by the export with that reason.
CMS_NATURE: dict[str, str | None] = {
    Nature.CONSULTING_FEE: "Consulting Fee",
    Nature.HONORARIUM: "Honoraria",
    Nature.SPEAKER_FEE: (
        "Compensation for serving as faculty or as a speaker for an unaccredited and noncertified continuing "
        "education program"
    ),
    Nature.TRAVEL: "Travel and Lodging",
    Nature.LODGING: "Travel and Lodging",
    Nature.FOOD_BEVERAGE: "Food and Beverage",
    Nature.REGISTRATION_FEE: None,
    Nature.SPONSORSHIP: None,
    Nature.GRANT: "Grant",
    Nature.DONATION: "Charitable Contribution",
    Nature.RESEARCH: None,
}


class PaymentForm(models.TextChoices):
    """Form_of_Payment_or_Transfer_of_Value, with CMS's wording as the label."""

    CASH = "cash", "Cash or cash equivalent"
    IN_KIND = "in_kind", "In-kind items and services"


class SourceKind(models.TextChoices):
    """What the transfer was paid for: a generic link that apps above this one (programs, research) point with,
    so that the ledger imports none of them."""

    EVENT = "event", "Event"
    CONTRACT = "contract", "Contract"
    STUDY = "study", "Study"
    MANUAL = "manual", "Manual entry"
    IMPORT = "import", "Import"


class TransferOfValue(AuditedModel):
    """One payment or other transfer of value to one HCP or one organisation (never both).

    `amount` is in `currency` (ISO 4217); `country` (ISO 3166-1 alpha-2) is the recipient's country of
    practice, which decides the disclosure the transfer belongs to. `register_ids` snapshots the recipient's
    identifiers in national registers at the time of payment ({"RPPS": "...", "BIG": "..."}; for a teaching
    hospital {"CCN": "..."}), so a later change of the HCP record does not change a submitted disclosure.
    `external_id` is the identifier in the paying system (unique when given): an import that meets it again
    leaves the row alone. A correction voids the row and records another.
    """

    recipient_hcp = models.ForeignKey(
        HCP, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_of_value"
    )
    recipient_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_of_value"
    )
    kind = models.CharField(max_length=20, choices=TransferKind.choices, default=TransferKind.GENERAL)
    nature = models.CharField(max_length=30, choices=Nature.choices)
    form_of_payment = models.CharField(max_length=20, choices=PaymentForm.choices, default=PaymentForm.CASH)
    paid_on = models.DateField(db_index=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. USD, EUR")
    country = models.CharField(
        max_length=2, db_index=True, help_text="Recipient's country, ISO 3166-1 alpha-2"
    )
    register_ids = models.JSONField(default=dict, blank=True, help_text="Register identifiers at payment")
    products = models.JSONField(default=list, blank=True, help_text="Associated product names (up to 5)")
    study_name = models.CharField(max_length=500, blank=True)
    nct_id = models.CharField(max_length=11, blank=True, verbose_name="ClinicalTrials.gov id")
    description = models.TextField(blank=True, help_text="Context of the payment")
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.MANUAL)
    source_id = models.UUIDField(null=True, blank=True, help_text="uuid of the event, contract or study")
    source_label = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="transfers_of_value")
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )

    permission_resource: ClassVar[str] = "transfer_of_value"

    class Meta:
        ordering = ["-paid_on", "-created_at"]
        verbose_name = "transfer of value"
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient_hcp__isnull=False, recipient_organization__isnull=True)
                | Q(recipient_hcp__isnull=True, recipient_organization__isnull=False),
                name="transparency_one_recipient",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="transparency_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_nature_display()} {self.amount} {self.currency} to {self.recipient_name}"

    @property
    def recipient_name(self) -> str:
        if self.recipient_hcp is not None:
            return self.recipient_hcp.full_name
        return self.recipient_organization.name if self.recipient_organization is not None else "—"

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        """MSLs and their managers see transfers to HCPs their team owns and those they recorded; every other
        role the matrix lets in (medical lead, compliance, auditor, admin) sees all."""
        return field_scope(queryset, user, hcp="recipient_hcp", recorder="recorded_by")


def field_scope(queryset: models.QuerySet, user: User, *, hcp: str, recorder: str) -> models.QuerySet:
    """Rows about an HCP owned by the user or their team, or recorded by them or their team (MSLs, managers)."""
    if user.role not in (Role.MSL, Role.MSL_MANAGER):
        return queryset
    mine = Q(**{f"{hcp}__owner": user}) | Q(**{recorder: user})
    if user.team_id is not None:
        mine |= Q(**{f"{hcp}__owner__team_id": user.team_id}) | Q(**{f"{recorder}__team_id": user.team_id})
    return queryset.filter(mine)


class DisclosureConsent(AuditedModel):
    """Whether an HCP agreed to individual disclosure of the year's transfers (EFPIA): one row per HCP and year.

    Without a row the HCP has not consented, and their transfers are disclosed in the aggregate. A change of
    mind updates the row; the audit trail keeps what it said before.
    """

    hcp = models.ForeignKey(HCP, on_delete=models.PROTECT, related_name="disclosure_consents")
    year = models.PositiveSmallIntegerField()
    consented = models.BooleanField()
    recorded_on = models.DateField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="disclosure_consents")
    note = models.TextField(blank=True)

    permission_resource: ClassVar[str] = "transfer_of_value"

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["hcp", "year"], name="transparency_consent_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.hcp_id} {self.year}: {'consented' if self.consented else 'refused'}"

    @classmethod
    def scope(cls, queryset: models.QuerySet, user: User, action: str) -> models.QuerySet:
        return field_scope(queryset, user, hcp="hcp", recorder="recorded_by")
