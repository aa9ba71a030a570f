"""Identity resolution: clustering PubMed author instances into persons (see docs/pipelines.md)."""

from .authors import (
    AUTHORSHIPS_SCHEMA,
    DEFAULT_MODEL,
    Assignment,
    PairModel,
    build_instances,
    pair_features,
    pair_probability,
    resolve_authors,
    resolve_instances,
    write_authorships,
)
from .names import block_key, normalise_surname, parse_given_name

__all__ = [
    "AUTHORSHIPS_SCHEMA",
    "DEFAULT_MODEL",
    "Assignment",
    "PairModel",
    "block_key",
    "build_instances",
    "normalise_surname",
    "pair_features",
    "pair_probability",
    "parse_given_name",
    "resolve_authors",
    "resolve_instances",
    "write_authorships",
]
