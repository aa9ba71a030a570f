"""Row-level rules shared by the field-medical records: who of those allowed by the matrix sees which rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from .roles import Role

if TYPE_CHECKING:
    from liaison.accounts.models import User


def team_scope(queryset: QuerySet, user: User, owner_field: str) -> QuerySet:
    """MSLs see their own records and their team's; managers see their team's; other roles see all rows.

    `owner_field` is the lookup path to the owning user (e.g. "owner" or "author").
    """
    if user.role not in (Role.MSL, Role.MSL_MANAGER):
        return queryset
    mine = Q(**{owner_field: user})
    if user.team_id is None:
        return queryset.filter(mine)
    return queryset.filter(mine | Q(**{f"{owner_field}__team_id": user.team_id}))
