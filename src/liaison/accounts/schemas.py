"""API schemas for users, therapeutic areas and products (Dispatch style: XRead / XBrief)."""

import datetime as dt
from uuid import UUID

from ninja import Schema

from liaison.core.api_common import PageQuery, SearchText


class UserBrief(Schema):
    """A user as other records name them: no contact details."""

    uuid: UUID
    username: str
    display_name: str
    role: str


class TeamBrief(Schema):
    uuid: UUID
    name: str


class MeRead(Schema):
    """The authenticated user, with the role's permissions as {resource: [actions]}."""

    uuid: UUID
    username: str
    display_name: str
    first_name: str
    last_name: str
    email: str
    title: str
    role: str
    role_label: str
    team: TeamBrief | None
    permissions: dict[str, list[str]]


class TherapeuticAreaBrief(Schema):
    uuid: UUID
    name: str
    code: str


class TherapeuticAreaRead(Schema):
    uuid: UUID
    name: str
    code: str
    description: str
    mesh_tree_numbers: list[str]
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class TherapeuticAreaFilters(PageQuery):
    q: SearchText | None = None
    active: bool | None = None


class ProductBrief(Schema):
    uuid: UUID
    name: str


class ProductRead(Schema):
    uuid: UUID
    name: str
    generic_name: str
    therapeutic_area: TherapeuticAreaBrief
    approved_indications: list[str]
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductFilters(PageQuery):
    q: SearchText | None = None
    therapeutic_area: UUID | None = None
    active: bool | None = None
