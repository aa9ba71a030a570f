"""Shared building blocks of the REST API: error and page schemas, input types, pagination, filters, reference
lookup.

Every app's `api.py` builds on these so that all resources page, filter, fail and resolve references the same
way. Error bodies are always JSON with a `detail` key:

- 400 `{"detail": "Cannot parse request body"}`: malformed JSON or an oversized body;
- 401 / 403 / 404 `{"detail": "<message>"}`;
- 409 `{"detail": "<message>", "candidates": [uuid, ...]}`: a likely duplicate or a uniqueness conflict;
- 422 `{"detail": [{"loc": ["body", "<field>"], "msg": "<message>", "type": "<kind>"}, ...]}`: bad input, whether
  caught by the typed schema (django-ninja/pydantic) or by the action's own checks (Django ValidationError).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, cast
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, GetPydanticSchema, create_model

from .models import Restricted, RestrictQuerySet
from .permissions import require

if TYPE_CHECKING:
    from liaison.accounts.models import User

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
# Far beyond any real table, and small enough that SQLite and PostgreSQL accept it as an OFFSET.
MAX_OFFSET = 10_000_000
# Free-text limits that mirror settings.MAX_TEXT_LENGTH and the actions' own limits; the actions re-check.
LONG_TEXT = 20_000


class ApiRequest(HttpRequest):
    """For type checkers: the request an API operation gets. `BearerAuth` (web/api.py) let it through, so its
    user is the bearer token's active Liaison user."""

    user: User


# ---- errors -------------------------------------------------------------------------------------------------


class Message(Schema):
    """An error with a human-readable message (400, 401, 403, 404, 500)."""

    detail: str


class FieldError(Schema):
    """One invalid input: where (`loc`, e.g. ["body", "occurred_at"] or ["query", "limit"]) and why (`msg`)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    """422: the request was well-formed but some values were refused; nothing was changed."""

    detail: list[FieldError]


class Conflict(Schema):
    """409: the change would clash with existing records; `candidates` names them where it helps."""

    detail: str
    candidates: list[UUID] = []


ERROR_RESPONSES: dict[int, type[Schema]] = {
    400: Message,
    401: Message,
    403: Message,
    404: Message,
    422: ValidationErrorOut,
}


def responses(ok: dict[int, Any], *, conflict: bool = False) -> dict[int, Any]:
    """The responses of one operation: its success codes plus every error it can return, for the OpenAPI."""
    out: dict[int, Any] = {**ok, **ERROR_RESPONSES}
    if conflict:
        out[409] = Conflict
    return out


def validation_errors(exc: DjangoValidationError, source: str = "body") -> list[dict[str, Any]]:
    """A Django ValidationError in the same shape as django-ninja's own 422 details."""
    items: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            loc: list[str | int] = [source] if field == "__all__" else [source, field]
            for error in errors:
                for message in error.messages:
                    items.append({"loc": loc, "msg": str(message), "type": "invalid"})
    else:
        for message in exc.messages:
            items.append({"loc": [source], "msg": str(message), "type": "invalid"})
    return items


# ---- input types --------------------------------------------------------------------------------------------


def _plain_text(value: str) -> str:
    """Query strings reach SQL filters directly; NUL and other control characters never mean anything there
    (and PostgreSQL refuses NUL outright), so they are refused up front."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("contains control characters (such as NUL) that are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("is not valid Unicode text") from exc
    return value.strip()


def _sane_instant(value: dt.datetime) -> dt.datetime:
    """Datetimes far outside any plausible record overflow when converted to UTC by the database adapter."""
    if not 1900 <= value.year <= 2200:
        raise ValueError("must be between the years 1900 and 2200")
    return value


def _sane_date(value: dt.date) -> dt.date:
    if not 1900 <= value.year <= 2200:
        raise ValueError("must be between the years 1900 and 2200")
    return value


SearchText = Annotated[str, Field(max_length=200), AfterValidator(_plain_text)]
Instant = Annotated[dt.datetime, AfterValidator(_sane_instant)]
Day = Annotated[dt.date, AfterValidator(_sane_date)]


def choices_of(choices: type[models.Choices]) -> GetPydanticSchema:
    """`Annotated[str, choices_of(X)]`: one of a model's choice values. Pydantic validates and documents it as the
    Literal of those values, so the OpenAPI lists them as an enum; type checkers see a plain `str`."""
    literal = cast(Any, Literal)[
        tuple(choices.values)
    ]  # a Literal built at run time from the model's choices
    return GetPydanticSchema(lambda _source, handler: handler(literal))


# ---- pagination ---------------------------------------------------------------------------------------------


class PageQuery(Schema):
    """limit/offset pagination shared by every list; filters extend it."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"at most {MAX_LIMIT}")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class PageBase(Schema):
    count: int
    limit: int
    offset: int


S = TypeVar("S", bound=Schema)


def page_of(item: type[S]) -> type[PageBase]:
    """The page schema of a list of `item`: {"items": [...], "count": N, "limit": L, "offset": O}."""
    name = item.__name__.removesuffix("Read") + "Page"
    # A list of a type known only at run time, which pydantic takes as it would `list[ItemRead]`.
    return create_model(name, __base__=PageBase, items=(cast(Any, list)[item], ...))


def limit_offset_page(queryset: QuerySet, query: PageQuery) -> dict[str, Any]:
    """One limit/offset page of an already restricted and filtered queryset, with the total count, for an API
    list. (An HTML list's numbered page is `core.views.requested_page`.)"""
    return {
        "items": list(queryset[query.offset : query.offset + query.limit]),
        "count": queryset.count(),
        "limit": query.limit,
        "offset": query.offset,
    }


def loaded_page(ids: QuerySet, query: PageQuery, rows: QuerySet) -> dict[str, Any]:
    """A limit/offset page of `ids` (a filtered, ordered queryset), its records then loaded from `rows` in the
    page's order: for lists whose filters need DISTINCT or whose rows prefetch a lot, the page is chosen on
    primary keys alone and the prefetching runs for that page only."""
    page = limit_offset_page(ids.values_list("pk", flat=True), query)
    loaded = {row.pk: row for row in rows.filter(pk__in=page["items"])}
    page["items"] = [loaded[pk] for pk in page["items"]]
    return page


# ---- filters ------------------------------------------------------------------------------------------------

# How a query parameter narrows a list: the ORM lookup its value is compared with, or a function of the value
# that returns the condition.
Lookup = str | Callable[[Any], Q]


def apply_filters(queryset: QuerySet, filters: Schema, lookups: Mapping[str, Lookup]) -> QuerySet:
    """`queryset` narrowed by each filter in `lookups` that the request gave, one `.filter()` per filter.

    A filter not given (None or "") narrows nothing; False and 0 are values.
    """
    for name, lookup in lookups.items():
        value = getattr(filters, name)
        if value is None or value == "":
            continue
        queryset = queryset.filter(lookup(value) if callable(lookup) else Q(**{lookup: value}))
    return queryset


# ---- reads through the choke point --------------------------------------------------------------------------


def visible(
    model: Restricted, user: User, action: str = "view", *, queryset: RestrictQuerySet | None = None
) -> QuerySet:
    """Rows of `model` (of `queryset`, with its joins and prefetches) the user may `action`, after checking that
    the role may `action` the resource at all.

    Lists use this so that a role without the permission gets a 403 (not an empty page whose count could
    still be compared with other answers).
    """
    require(user, model.permission_resource, action)
    return (queryset if queryset is not None else model.objects).restrict(user, action)


def resolve(
    model: Restricted, user: User, value: UUID | None, field: str, *, queryset: QuerySet | None = None
) -> Any:
    """The visible record a request body names by uuid, or a 422 on `field`; None stays None.

    A reference the user may not see reads exactly like one that does not exist.
    """
    if value is None:
        return None
    qs = queryset if queryset is not None else model.objects.restrict(user, "view")
    found = qs.filter(uuid=value).first()
    if found is None:
        label = model._meta.verbose_name
        raise DjangoValidationError({field: f"unknown {label}: {value}"})
    return found


def resolve_many(
    model: Restricted, user: User, values: Sequence[UUID] | None, field: str
) -> list[Any] | None:
    """The visible records named by a list of uuids, in the given order; 422 naming the first unknown one."""
    if values is None:
        return None
    wanted = list(dict.fromkeys(values))
    rows = {row.uuid: row for row in model.objects.restrict(user, "view").filter(uuid__in=wanted)}
    missing = [str(v) for v in wanted if v not in rows]
    if missing:
        raise DjangoValidationError({field: f"unknown {model._meta.verbose_name}: {missing[0]}"})
    return [rows[v] for v in wanted]


def not_found() -> Http404:
    """The one 404 every resource raises, for missing and hidden rows alike."""
    return Http404("Not found")


def uuids(rows: Iterable[Any]) -> list[UUID]:
    return [row.uuid for row in rows]
