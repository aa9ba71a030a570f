"""KOL intelligence in the app: public evidence (publications, trials, payments), identity links and scores.

Public records (PubMed articles, ClinicalTrials.gov studies, Open Payments rows) are loaded from the pipelines'
Parquet tables by `loaders.py`; they are reference data, not regulated records, so each load writes one audit
event for the run rather than one per row. Identity links are regulated: a user's accept or reject is audited
with a reason and survives re-runs. Score snapshots are immutable once written; a new scoring run makes a new
version (docs/kol-scores.md explains the score).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from liaison.core.models import AuditedModel, PublicModel, RestrictQuerySet


class Publication(PublicModel):
    """A PubMed article, as ingested."""

    pmid = models.BigIntegerField(unique=True, verbose_name="PMID")
    title = models.TextField(blank=True)
    abstract = models.TextField(blank=True)
    journal = models.CharField(max_length=400, blank=True)
    year = models.IntegerField(null=True, blank=True)
    pub_date = models.CharField(max_length=10, blank=True)
    doi = models.CharField(max_length=200, blank=True)
    publication_types = models.JSONField(default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    mesh = models.JSONField(
        default=list, blank=True, help_text='[{"ui": "D001943", "name": "...", "major": true}]'
    )

    objects = RestrictQuerySet.as_manager()
    permission_resource: ClassVar[str] = "kol_evidence"

    class Meta:
        ordering = ["-year", "-pmid"]

    def __str__(self) -> str:
        return f"PMID {self.pmid}: {self.title[:80]}"

    @property
    def url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"


class Authorship(models.Model):
    """One author position of a publication, with the resolved person (author cluster) it belongs to."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="authorships")
    position = models.PositiveIntegerField()
    person_id = models.CharField(max_length=17, db_index=True)
    last_name = models.CharField(max_length=200, blank=True)
    fore_name = models.CharField(max_length=200, blank=True)
    initials = models.CharField(max_length=20, blank=True)
    confidence = models.FloatField(default=1.0)

    class Meta:
        ordering = ["publication", "position"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "position"], name="kol_authorship_unique")
        ]

    def __str__(self) -> str:
        return f"{self.fore_name} {self.last_name} (#{self.position})"


class Trial(PublicModel):
    """A ClinicalTrials.gov study, as ingested."""

    nct_id = models.CharField(max_length=11, unique=True, verbose_name="NCT id")
    title = models.TextField(blank=True)
    overall_status = models.CharField(max_length=40, blank=True)
    phases = models.JSONField(default=list, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    condition_mesh_ids = models.JSONField(default=list, blank=True)
    start_date = models.CharField(max_length=10, blank=True)
    lead_sponsor = models.CharField(max_length=300, blank=True)

    objects = RestrictQuerySet.as_manager()
    permission_resource: ClassVar[str] = "kol_evidence"

    class Meta:
        ordering = ["-start_date", "nct_id"]

    def __str__(self) -> str:
        return f"{self.nct_id}: {self.title[:80]}"

    @property
    def url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.nct_id}"


class TrialInvestigator(models.Model):
    """A person a study names: overall official, site investigator or responsible party."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="investigators")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=300)
    role = models.CharField(max_length=60, blank=True)
    affiliation = models.CharField(max_length=400, blank=True)
    source = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["trial", "position"]
        constraints = [models.UniqueConstraint(fields=["trial", "position"], name="kol_investigator_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"

    @property
    def target_id(self) -> str:
        return f"{self.trial.nct_id}:{self.position}"


class Payment(PublicModel):
    """A CMS Open Payments row (general or research): due-diligence context, never part of a KOL score."""

    record_id = models.CharField(max_length=40)
    kind = models.CharField(max_length=10)  # general | research
    program_year = models.IntegerField(null=True, blank=True)
    profile_id = models.CharField(max_length=20, blank=True, db_index=True)
    npi = models.CharField(max_length=10, blank=True, db_index=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=40, blank=True)
    manufacturer = models.CharField(max_length=300, blank=True)
    amount_usd = models.DecimalField(max_digits=14, decimal_places=2)
    date = models.CharField(max_length=10, blank=True)
    nature_of_payment = models.CharField(max_length=300, blank=True)
    nct_id = models.CharField(max_length=11, blank=True)

    objects = RestrictQuerySet.as_manager()
    permission_resource: ClassVar[str] = "kol_evidence"

    class Meta:
        ordering = ["-date", "record_id"]
        constraints = [models.UniqueConstraint(fields=["kind", "record_id"], name="kol_payment_unique")]

    def __str__(self) -> str:
        return f"{self.manufacturer} ${self.amount_usd} ({self.date})"


class LinkTarget(models.TextChoices):
    HCP = "hcp", "HCP record"
    INVESTIGATOR = "investigator", "Trial investigator"
    PAYMENT_RECIPIENT = "payment_recipient", "Open Payments recipient"
    NPI = "npi", "NPPES provider"


class LinkStatus(models.TextChoices):
    LINKED = "linked", "Linked (high confidence)"
    SUGGESTED = "suggested", "Suggested"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


DECIDED = (LinkStatus.ACCEPTED, LinkStatus.REJECTED)


class IdentityLink(AuditedModel):
    """That a resolved person is the same as a record in another source, with confidence and evidence.

    `linked` and `accepted` links are used; `suggested` ones wait in the identity queue; `rejected` ones are
    never used. A decision (accepted / rejected) is kept when linking runs again.
    """

    person_id = models.CharField(max_length=17, db_index=True)
    person_name = models.CharField(max_length=300, blank=True)
    target = models.CharField(max_length=20, choices=LinkTarget.choices)
    target_id = models.CharField(max_length=64)
    target_name = models.CharField(max_length=300, blank=True)
    hcp = models.ForeignKey(
        "people.HCP", null=True, blank=True, on_delete=models.CASCADE, related_name="identity_links"
    )
    confidence = models.FloatField()
    evidence = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=LinkStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    permission_resource: ClassVar[str] = "identity_link"

    class Meta:
        ordering = ["-confidence", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["person_id", "target", "target_id"], name="kol_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_name or self.person_id} = {self.target_name or self.target_id} ({self.status})"

    @property
    def decided(self) -> bool:
        return self.status in DECIDED

    @property
    def used(self) -> bool:
        return self.status in (LinkStatus.LINKED, LinkStatus.ACCEPTED)


class KolSnapshot(PublicModel):
    """One scoring run of one therapeutic area: its weights, inputs and code version. Never changed after."""

    area = models.ForeignKey(
        "accounts.TherapeuticArea", on_delete=models.PROTECT, related_name="kol_snapshots"
    )
    version = models.PositiveIntegerField()
    as_of_year = models.PositiveIntegerField()
    engine = models.CharField(max_length=10, default="local")
    weights = models.JSONField(default=dict)
    inputs = models.JSONField(default=dict, help_text="Input tables with their checksums")
    code_version = models.CharField(max_length=40, blank=True)
    persons = models.PositiveIntegerField(default=0, help_text="Persons with any evidence in the area")
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictQuerySet.as_manager()
    permission_resource: ClassVar[str] = "kol_score"

    class Meta:
        ordering = ["area", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["area", "version"], name="kol_snapshot_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.area} v{self.version}"


class KolScore(PublicModel):
    """A person's score in one snapshot, with its components: {name: {raw, norm, weight, points}}.

    The app keeps the top of the ranking (LIAISON_KOL_TOP, default 1,000) and every person linked to an HCP;
    the whole ranking stays in the snapshot's Parquet files.
    """

    snapshot = models.ForeignKey(KolSnapshot, on_delete=models.CASCADE, related_name="scores")
    person_id = models.CharField(max_length=17, db_index=True)
    hcp = models.ForeignKey(
        "people.HCP", null=True, blank=True, on_delete=models.SET_NULL, related_name="kol_scores"
    )
    rank = models.PositiveIntegerField()
    score = models.FloatField()
    components = models.JSONField(default=dict)
    name = models.CharField(max_length=300, blank=True)
    orcid = models.CharField(max_length=19, blank=True)
    area_papers = models.PositiveIntegerField(default=0)
    area_trials = models.PositiveIntegerField(default=0)
    first_year = models.IntegerField(null=True, blank=True)
    last_year = models.IntegerField(null=True, blank=True)
    rising_star = models.BooleanField(default=False)
    payments_usd = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    objects = RestrictQuerySet.as_manager()
    permission_resource: ClassVar[str] = "kol_score"

    class Meta:
        ordering = ["snapshot", "rank"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "person_id"], name="kol_score_unique")]
        indexes = [models.Index(fields=["snapshot", "rank"])]

    def __str__(self) -> str:
        return f"#{self.rank} {self.name} {self.score:.1f}"


class KolEvidence(models.Model):
    """One source record behind one component of one score, with the points it contributed."""

    score = models.ForeignKey(KolScore, on_delete=models.CASCADE, related_name="evidence")
    component = models.CharField(max_length=20)
    source = models.CharField(max_length=20)  # pubmed | clinicaltrials
    record_id = models.CharField(max_length=20)
    points = models.FloatField()
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["score", "component", "-points"]
        indexes = [models.Index(fields=["score", "component"])]

    def __str__(self) -> str:
        return f"{self.component} {self.source}:{self.record_id} {self.points:+.3f}"

    @property
    def url(self) -> str:
        if self.source == "pubmed":
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.record_id}/"
        return f"https://clinicaltrials.gov/study/{self.record_id}"
