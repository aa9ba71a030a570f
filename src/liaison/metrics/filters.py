"""The dashboard's filters: the period and the optional team, territory and therapeutic area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from liaison.accounts.models import Team, Territory, TherapeuticArea, User
from liaison.core.permissions import can

from .definitions import RESOURCE

DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 3 * 366


class InvalidFilters(ValidationError):
    """A filter value that names nothing or a period that makes no sense; pages show it, the API answers 422."""


@dataclass(frozen=True)
class Filters:
    """The period [start, end] (inclusive dates) and the optional team, territory and therapeutic area."""

    start: dt.date
    end: dt.date
    team: Team | None = None
    territory: Territory | None = None
    area: TherapeuticArea | None = None

    @property
    def start_at(self) -> dt.datetime:
        return _midnight(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """Exclusive upper bound: midnight after `end`."""
        return _midnight(self.end + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> dict[str, str]:
        """The filters as query-string values, for links (drill-down, exports) that keep them."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.team:
            out["team"] = str(self.team.uuid)
        if self.territory:
            out["territory"] = str(self.territory.uuid)
        if self.area:
            out["area"] = self.area.code
        return out


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def parse_filters(user: User, values: dict[str, Any]) -> Filters:
    """Filters from query values (`start`, `end` as ISO dates; `team`, `territory` as uuids; `area` as code).

    Missing values take defaults (the last 90 days; the user's own therapeutic area when they have one, see
    `own_area`; every team and territory); `area=""` asks for every area. A malformed or unknown value raises
    InvalidFilters naming the field. Team, territory and area resolve through restrict() like any reference.
    """
    today = timezone.localdate()
    errors: dict[str, str] = {}

    def day(name: str, default: dt.date) -> dt.date:
        raw = values.get(name)
        if raw in (None, ""):
            return default
        if isinstance(raw, dt.date):
            return raw
        try:
            parsed = dt.date.fromisoformat(str(raw)[:10])
        except ValueError:
            errors[name] = "must be a date as YYYY-MM-DD"
            return default
        if not 1900 <= parsed.year <= 2200:
            errors[name] = "must be between the years 1900 and 2200"
            return default
        return parsed

    end = day("end", today)
    start = day("start", end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    if start > end:
        errors["start"] = "must not be after the end of the period"
    elif (end - start).days >= MAX_PERIOD_DAYS:
        errors["start"] = f"the period may span at most {MAX_PERIOD_DAYS} days"

    def ref(name: str, model: Any, key: str) -> Any:
        raw = str(values.get(name) or "").strip()
        if not raw:
            return None
        try:
            found = _reference(model, user).filter(**{key: raw}).first()
        except (ValueError, ValidationError):
            found = None
        if found is None:
            errors[name] = f"unknown {model._meta.verbose_name}: {raw[:60]}"
        return found

    team = ref("team", Team, "uuid")
    territory = ref("territory", Territory, "uuid")
    area = ref("area", TherapeuticArea, "code") if "area" in values else own_area(user)
    if errors:
        raise InvalidFilters(errors)
    return Filters(start=start, end=end, team=team, territory=territory, area=area)


def own_area(user: User) -> TherapeuticArea | None:
    """The area a user works in: their team's, else the one area they are assigned; None when it is several or none
    (a medical lead over three areas starts from all of them)."""
    team = getattr(user, "team", None)
    if team is not None and team.therapeutic_area_id is not None:
        return team.therapeutic_area
    areas = list(user.therapeutic_areas.filter(active=True)[:2]) if user.pk else []
    return areas[0] if len(areas) == 1 else None


def _reference(model: Any, user: User) -> QuerySet:
    """Teams and territories the metrics filter by, areas too.

    Teams and territories sit under the `user` resource, which a medical lead does not hold; their names are
    what the dashboard is filtered by, so a holder of `metrics` view reads them (names only, never members).
    Everyone else, and every area, goes through restrict().
    """
    if model in (Team, Territory) and can(user, RESOURCE, "view") and not can(user, "user", "view"):
        return model._base_manager.all()
    return model.objects.restrict(user, "view")


def filter_choices(user: User) -> dict[str, list[Any]]:
    """Teams, territories and areas offered in the filter bar."""
    return {
        "teams": list(_reference(Team, user).order_by("name")),
        "territories": list(_reference(Territory, user).order_by("name")),
        "areas": list(_reference(TherapeuticArea, user).filter(active=True).order_by("name")),
    }
