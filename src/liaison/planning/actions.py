"""The write path for engagement plans, standing interests and the reminders interests raise.

Every function checks the acting user's permission, validates its input again (the CLI and jobs call these
directly) and writes inside the caller's audit context; the audit rows are written by the models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison.accounts.models import Product, Territory, User
from liaison.core.context import reason as audit_reason
from liaison.core.permissions import can, require
from liaison.core.validation import clean_choice, clean_text, clean_text_list
from liaison.engagement.actions import create_follow_up
from liaison.insights.models import ListeningPriority
from liaison.kol.models import Authorship, Publication
from liaison.people.models import HCP, HCPStatus, Tier

from .matching import Evidence, match_interest
from .models import (
    INTEREST_VALIDITY,
    EngagementPlan,
    InterestReminder,
    PlanKind,
    StandingInterest,
)

MAX_OBJECTIVES = 20
MAX_TARGET = 1000
# Reminders are due this many days after the matching evidence is found.
REMINDER_DUE_DAYS = 14


def _clean_year(value: Any) -> int:
    """Plans are for real years; a typo like 20255 is refused rather than stored."""
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
        raise ValidationError({"year": "must be a year between 2000 and 2100"})
    return value


def _clean_quarter(value: Any) -> int | None:
    """1 to 4, or None for a plan over the whole year."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
        raise ValidationError({"quarter": "must be 1, 2, 3 or 4 (or empty for the whole year)"})
    return value


def _clean_count(value: Any, field_name: str) -> int:
    """A target: a whole number (not a bool, which Python counts as an int) within reason."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TARGET:
        raise ValidationError({field_name: f"must be a whole number from 0 to {MAX_TARGET}"})
    return value


def _clean_tier_targets(value: Any) -> dict[str, int]:
    """{"1": 6, "2": 4}: tiers as text keys (JSON), counts per quarter; zero targets are dropped."""
    if not isinstance(value, dict) or not value:
        raise ValidationError({"tier_targets": "give at least one tier and its interactions per quarter"})
    tiers = {str(t) for t in Tier.values}
    cleaned: dict[str, int] = {}
    for tier, count in value.items():
        if str(tier) not in tiers:
            raise ValidationError({"tier_targets": f"unknown tier {tier!r}; tiers are 1 to {len(tiers)}"})
        count = _clean_count(count, "tier_targets")
        if count:
            cleaned[str(tier)] = count
    if not cleaned:
        raise ValidationError({"tier_targets": "at least one tier needs a target above zero"})
    return dict(sorted(cleaned.items()))


def _clean_priorities(values: Iterable[Any]) -> list[ListeningPriority]:
    """Linked listening priorities must be ListeningPriority records (resolved by the caller)."""
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise ValidationError({"listening_priorities": "must be a list of listening priorities"})
    values = list(dict.fromkeys(values))
    if any(not isinstance(p, ListeningPriority) for p in values):
        raise ValidationError({"listening_priorities": "unknown listening priority"})
    return values


@transaction.atomic
def create_plan(
    *,
    acting_user: User,
    kind: str,
    year: int,
    quarter: int | None = None,
    hcp: HCP | None = None,
    territory: Territory | None = None,
    objectives: Sequence[str] = (),
    planned_per_quarter: int | None = None,
    tier_targets: dict[str, int] | None = None,
    listening_priorities: Iterable[ListeningPriority] = (),
    owner: User | None = None,
) -> EngagementPlan:
    """Plan the engagement with one KOL (a number of interactions per quarter) or across one territory
    (interactions per quarter for each tier), with objectives and the listening priorities it serves."""
    require(acting_user, "engagement_plan", "add")
    kind = clean_choice(kind, "kind", PlanKind.values)
    values: dict[str, Any] = {
        "kind": kind,
        "year": _clean_year(year),
        "quarter": _clean_quarter(quarter),
        "objectives": clean_text_list(
            list(objectives), "objectives", max_items=MAX_OBJECTIVES, max_length=500
        ),
    }
    if kind == PlanKind.KOL:
        if not isinstance(hcp, HCP):
            raise ValidationError({"hcp": "a KOL plan needs the HCP it is about"})
        if hcp.status == HCPStatus.MERGED:
            raise ValidationError(
                {"hcp": "this HCP record was merged; plan on the record it was merged into"}
            )
        if territory is not None:
            raise ValidationError({"territory": "a KOL plan is about one HCP, not a territory"})
        if planned_per_quarter is None:
            raise ValidationError({"planned_per_quarter": "how many interactions per quarter are planned?"})
        values.update(hcp=hcp, planned_per_quarter=_clean_count(planned_per_quarter, "planned_per_quarter"))
    else:
        if not isinstance(territory, Territory):
            raise ValidationError({"territory": "a territory plan needs its territory"})
        if hcp is not None:
            raise ValidationError({"hcp": "a territory plan covers a territory, not one HCP"})
        values.update(territory=territory, tier_targets=_clean_tier_targets(tier_targets))
    if owner is not None and not isinstance(owner, User):
        raise ValidationError({"owner": "unknown user"})
    priorities = _clean_priorities(listening_priorities)
    plan = EngagementPlan.objects.create(owner=owner or acting_user, **values)
    if priorities:
        plan.listening_priorities.set(priorities)
    return plan


@transaction.atomic
def update_plan(
    plan: EngagementPlan,
    *,
    acting_user: User,
    objectives: Sequence[str] | None = None,
    planned_per_quarter: int | None = None,
    tier_targets: dict[str, int] | None = None,
    listening_priorities: Iterable[ListeningPriority] | None = None,
    reason: str = "",
) -> EngagementPlan:
    """Change a plan's objectives, targets or priorities (what is given); the period and subject stay, so that
    progress already counted keeps its meaning: plan a new period with a new plan."""
    require(acting_user, "engagement_plan", "change")
    if not EngagementPlan.objects.restrict(acting_user, "change").filter(pk=plan.pk).exists():
        raise ValidationError({"__all__": "you may not change this plan"})
    if objectives is not None:
        plan.objectives = clean_text_list(
            list(objectives), "objectives", max_items=MAX_OBJECTIVES, max_length=500
        )
    if planned_per_quarter is not None:
        if plan.kind != PlanKind.KOL:
            raise ValidationError({"planned_per_quarter": "territory plans set targets per tier"})
        plan.planned_per_quarter = _clean_count(planned_per_quarter, "planned_per_quarter")
    if tier_targets is not None:
        if plan.kind != PlanKind.TERRITORY:
            raise ValidationError({"tier_targets": "KOL plans set one number per quarter"})
        plan.tier_targets = _clean_tier_targets(tier_targets)
    why = clean_text(reason, "reason", max_length=500) or "plan updated"
    with audit_reason(why):
        plan.save()
        if listening_priorities is not None:
            plan.listening_priorities.set(_clean_priorities(listening_priorities))
    return plan


# --- standing interests ---------------------------------------------------------------------------------------


def _clean_mesh_terms(values: Any) -> list[str]:
    """MeSH names or ids as a clean list; matching compares them case-insensitively."""
    return clean_text_list(values, "mesh_terms", max_items=20, max_length=200)


@transaction.atomic
def record_standing_interest(
    *,
    acting_user: User,
    hcp: HCP,
    topic: str,
    mesh_terms: Sequence[str] = (),
    product: Product | None = None,
    recorded_on: dt.date | None = None,
) -> StandingInterest:
    """Document an HCP's request to be kept informed on a topic; it holds for a year from `recorded_on`."""
    require(acting_user, "standing_interest", "add")
    if not isinstance(hcp, HCP):
        raise ValidationError({"hcp": "unknown HCP"})
    if hcp.status == HCPStatus.MERGED:
        raise ValidationError(
            {"hcp": "this HCP record was merged; record it on the record it was merged into"}
        )
    if product is not None and not isinstance(product, Product):
        raise ValidationError({"product": "unknown product"})
    today = timezone.localdate()
    recorded_on = recorded_on or today
    if not isinstance(recorded_on, dt.date) or isinstance(recorded_on, dt.datetime):
        raise ValidationError({"recorded_on": "must be a date (YYYY-MM-DD)"})
    if recorded_on > today:
        raise ValidationError({"recorded_on": "cannot be in the future"})
    if recorded_on < today - INTEREST_VALIDITY:
        raise ValidationError(
            {"recorded_on": "a request older than a year has lapsed; confirm it with the HCP"}
        )
    interest = StandingInterest.objects.create(
        hcp=hcp,
        recorded_by=acting_user,
        topic=clean_text(topic, "topic", required=True, max_length=300),
        mesh_terms=_clean_mesh_terms(list(mesh_terms)),
        product=product,
        recorded_on=recorded_on,
        expires_on=recorded_on + INTEREST_VALIDITY,
    )
    _schedule_reminders()
    return interest


@transaction.atomic
def renew_standing_interest(
    interest: StandingInterest, *, acting_user: User, renewed_on: dt.date | None = None
) -> StandingInterest:
    """The HCP confirmed the interest again: it holds for another year from `renewed_on` (default today).

    An expired interest may be renewed (that is the point of the flag); a withdrawn one may not.
    """
    require(acting_user, "standing_interest", "change")
    if not StandingInterest.objects.restrict(acting_user, "change").filter(pk=interest.pk).exists():
        raise ValidationError({"__all__": "you may not change this standing interest"})
    if interest.withdrawn_on is not None:
        raise ValidationError(
            {"__all__": "the HCP withdrew this interest; record a new one if they ask again"}
        )
    today = timezone.localdate()
    renewed_on = renewed_on or today
    if not isinstance(renewed_on, dt.date) or isinstance(renewed_on, dt.datetime) or renewed_on > today:
        raise ValidationError({"renewed_on": "must be a date no later than today"})
    was = interest.status_on(today)
    interest.renewed_on = renewed_on
    interest.expires_on = renewed_on + INTEREST_VALIDITY
    with audit_reason(f"renewed with the HCP (was {was})"):
        interest.save()
    return interest


@transaction.atomic
def withdraw_standing_interest(interest: StandingInterest, *, acting_user: User) -> StandingInterest:
    """The HCP no longer wants to be kept informed: no further reminders, the record stays."""
    require(acting_user, "standing_interest", "change")
    if not StandingInterest.objects.restrict(acting_user, "change").filter(pk=interest.pk).exists():
        raise ValidationError({"__all__": "you may not change this standing interest"})
    if interest.withdrawn_on is None:
        interest.withdrawn_on = timezone.localdate()
        with audit_reason("withdrawn by the HCP"):
            interest.save()
    return interest


# --- reminders ------------------------------------------------------------------------------------------------


@dataclass
class ReminderRun:
    """What one reminder run did: counts for the summary and why any interest was skipped."""

    interests: int = 0
    created: int = 0
    already: int = 0
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the CLI and the job log."""
        text = (
            f"{self.interests} active interest(s) checked, {self.created} reminder(s) created, "
            f"{self.already} already raised"
        )
        return text + (f", {len(self.skipped)} skipped" if self.skipped else "")


def remind_standing_interests(*, today: dt.date | None = None, limit_per_interest: int = 5) -> ReminderRun:
    """Raise a follow-up for each new publication that matches an active standing interest, once.

    "New" means loaded into Liaison on or after the day the HCP asked, and not written by the HCP (presenting
    their own work back is what they complain about). The follow-up goes to the MSL who recorded the interest,
    through engagement's `create_follow_up`, and says which record matched and on what. The unique reminder
    row makes a second run a no-op; at most `limit_per_interest` new reminders per interest and run keep a
    large import from burying the MSL (the rest come on later runs, newest first).
    Runs inside the caller's audit context (CLI or job).
    """
    today = today or timezone.localdate()
    run = ReminderRun()
    interests = (
        StandingInterest.objects.filter(withdrawn_on__isnull=True, expires_on__gte=today)
        .select_related("hcp", "recorded_by", "product")
        .order_by("pk")
    )
    for interest in interests:
        run.interests += 1
        owner = interest.recorded_by
        if not (owner.is_active and can(owner, "follow_up", "add")):
            run.skipped[str(interest.uuid)] = f"{owner.username} may no longer receive follow-ups"
            continue
        since = timezone.make_aware(dt.datetime.combine(interest.recorded_on, dt.time.min))
        done = set(
            InterestReminder.objects.filter(interest=interest, source="publication").values_list(
                "source_key", flat=True
            )
        )
        own = _own_pmids(interest.hcp, Authorship)
        candidates = Publication.objects.filter(created_at__gte=since).only(
            "pmid", "title", "keywords", "mesh", "created_at"
        )
        made = 0
        for pub in candidates.order_by("-created_at", "-pmid").iterator(chunk_size=500):
            if made >= limit_per_interest:
                break
            matched = match_interest(
                interest.topic,
                interest.mesh_terms,
                Evidence(title=pub.title, keywords=pub.keywords, mesh=pub.mesh),
                product_names=_product_names(interest.product),
            )
            if not matched or pub.pmid in own:
                continue
            if str(pub.pmid) in done:
                run.already += 1
                continue
            try:
                with transaction.atomic():
                    follow_up = create_follow_up(
                        acting_user=owner,
                        description=_reminder_text(interest, pub, matched),
                        due_date=today + dt.timedelta(days=REMINDER_DUE_DAYS),
                        hcp=interest.hcp,
                    )
                    InterestReminder.objects.create(
                        interest=interest,
                        follow_up=follow_up,
                        source="publication",
                        source_key=str(pub.pmid),
                        source_title=pub.title[:1000],
                        matched_on=matched,
                    )
            except IntegrityError:
                # A concurrent run raised it first; the unique constraint kept it to one.
                run.already += 1
                continue
            run.created += 1
            made += 1
    return run


def _own_pmids(hcp: HCP, authorship: Any) -> set[int]:
    """PMIDs the HCP wrote, when their PubMed person is linked (identifiers["pubmed_person"])."""
    person = (hcp.identifiers or {}).get("pubmed_person")
    if not person:
        return set()
    return set(authorship.objects.filter(person_id=person).values_list("publication__pmid", flat=True))


def _product_names(product: Product | None) -> list[str]:
    """The names a title may mention the product by: brand and generic."""
    if product is None:
        return []
    return [n for n in (product.name, product.generic_name) if n]


def _reminder_text(interest: StandingInterest, pub: Any, matched: list[str]) -> str:
    """The follow-up's description: which interest, which record, what matched, so the MSL can act on it."""
    title = (pub.title or "(untitled)").strip()
    if len(title) > 300:
        title = title[:297] + "..."
    return (
        f'Standing interest "{interest.topic}": new publication PMID {pub.pmid} "{title}" '
        f"matches on {', '.join(matched)}. Share it if appropriate (https://pubmed.ncbi.nlm.nih.gov/{pub.pmid}/)."
    )


def _schedule_reminders() -> None:
    """Have the worker run the reminder job soon after a new interest (outside tests' eager backends too)."""
    # Deferred: planning.tasks imports this module (the reminder job runs remind_standing_interests).
    from .tasks import schedule_reminders

    transaction.on_commit(schedule_reminders)
