"""Linking: the same person across PubMed author clusters, ClinicalTrials.gov investigators, Open Payments
recipients, NPPES providers and the app's HCP records (docs/kol-scores.md, "Linking people across sources").

Django-free: the app passes its HCP records and its users' decisions in as Arrow tables.
"""

from .evidence import PRIOR, WEIGHTS
from .run import link_persons
from .schema import (
    AUTO_LINK,
    DECISION_SCHEMA,
    HCP_SCHEMA,
    LINK_SCHEMA,
    SUGGEST,
    LinkInputError,
    LinkSummary,
)

__all__ = [
    "AUTO_LINK",
    "DECISION_SCHEMA",
    "HCP_SCHEMA",
    "LINK_SCHEMA",
    "PRIOR",
    "SUGGEST",
    "WEIGHTS",
    "LinkInputError",
    "LinkSummary",
    "link_persons",
]
