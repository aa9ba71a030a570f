"""Users and their roles, teams, territories, therapeutic areas, products and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from liaison.core.models import AuditedModel, AuditedQuerySet
from liaison.core.roles import Role


class TherapeuticArea(AuditedModel):
    """A disease area the company works in, defined for KOL scoring by MeSH tree numbers."""

    name = models.CharField(max_length=120, unique=True)
    code = models.SlugField(max_length=40, unique=True)
    description = models.TextField(blank=True)
    mesh_tree_numbers = models.JSONField(
        default=list, blank=True, help_text="MeSH subtrees, e.g. C04 or C14.280"
    )
    active = models.BooleanField(default=True)

    permission_resource: ClassVar[str] = "therapeutic_area"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(AuditedModel):
    """A company product, with the indications it is approved for (used for off-label flags)."""

    name = models.CharField(max_length=120, unique=True)
    generic_name = models.CharField(max_length=120, blank=True)
    therapeutic_area = models.ForeignKey(TherapeuticArea, on_delete=models.PROTECT, related_name="products")
    approved_indications = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    permission_resource: ClassVar[str] = "product"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(AuditedModel):
    """A field team, usually per therapeutic area and region, led by a manager."""

    name = models.CharField(max_length=120, unique=True)
    therapeutic_area = models.ForeignKey(TherapeuticArea, null=True, blank=True, on_delete=models.PROTECT)

    permission_resource: ClassVar[str] = "user"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Territory(AuditedModel):
    """A geographic territory an MSL covers (a list of US states or regions)."""

    name = models.CharField(max_length=120, unique=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="territories"
    )
    regions = models.JSONField(default=list, blank=True, help_text="State or region codes, e.g. ['IA', 'NE']")

    permission_resource: ClassVar[str] = "user"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# django-stubs cannot follow from_queryset() on the generic UserManager as a base class, so User.objects is
# typed loosely.
class LiaisonUserManager(UserManager.from_queryset(AuditedQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser, AuditedModel):
    """A person who signs in; their role decides what they may see and do (core/permissions.py)."""

    role = models.CharField(max_length=32, choices=Role.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    territory = models.ForeignKey(Territory, null=True, blank=True, on_delete=models.PROTECT)
    therapeutic_areas = models.ManyToManyField(TherapeuticArea, blank=True, related_name="users")
    title = models.CharField(max_length=120, blank=True)

    objects: ClassVar[LiaisonUserManager] = LiaisonUserManager()
    permission_resource: ClassVar[str] = "user"
    audit_exclude: ClassVar[tuple[str, ...]] = (
        "created_at",
        "updated_at",
        "last_login",
        "date_joined",
    )
    # Audited as a keyed fingerprint, never as the hash itself: a hash swapped in the database is noticed.
    audit_fingerprint: ClassVar[tuple[str, ...]] = ("password",)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(AuditedModel):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    permission_resource: ClassVar[str] = "user"
    audit_exclude: ClassVar[tuple[str, ...]] = ("created_at", "updated_at", "last_used_at")
    audit_fingerprint: ClassVar[tuple[str, ...]] = ("key_hash",)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """A new raw token, its display prefix and its hash."""
        raw = "lsn_" + secrets.token_urlsafe(32)
        return raw, raw[:10], hash_token(raw)


class CalendarFeedToken(AuditedModel):
    """The secret in a user's private calendar feed URL (/calendar/<token>.ics), for Outlook or Google Calendar.

    Calendar clients cannot sign in, so the URL itself is the credential: only its SHA-256 is stored (like an API
    token), the raw value is shown once when created or rotated. A user has at most one live token; rotating
    revokes the old one, and a revoked token, or one of a deactivated user, answers 404 like an unknown one.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="calendar_feed_tokens")
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    permission_resource: ClassVar[str] = "user"
    audit_exclude: ClassVar[tuple[str, ...]] = ("created_at", "updated_at", "last_used_at")
    audit_fingerprint: ClassVar[tuple[str, ...]] = ("key_hash",)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(revoked_at__isnull=True), name="one_live_calendar_feed"
            )
        ]

    def __str__(self) -> str:
        return f"calendar feed {self.prefix}…"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """A new raw token (URL-safe), its display prefix and its hash."""
        raw = "cal_" + secrets.token_urlsafe(32)
        return raw, raw[:10], hash_token(raw)

    @classmethod
    def live_for_raw(cls, raw: str) -> CalendarFeedToken | None:
        """The live token with this raw value whose user is active, or None (unknown, revoked, deactivated)."""
        token = (
            cls._base_manager.select_related("user")
            .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        return token


class SignInThrottle(models.Model):
    """One sign-in throttling counter: the attempts against an account ("account:<name>") or from a client
    address ("address:<ip>") since the window last lapsed (accounts/throttle.py). Not a regulated record."""

    key = models.CharField(max_length=200, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.attempts}"
