"""One entry point for the three disclosure files, shared by the pages, the API and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cms import KINDS, cms_export
from .efpia import efpia_disclosure

if TYPE_CHECKING:
    from liaison.accounts.models import User

    from .cms import ExportResult
    from .efpia import EfpiaDisclosure

EXPORT_KINDS = ("cms-general", "cms-research", "efpia")


def build_export(user: User, *, kind: str, year: int, country: str = "US") -> ExportResult | EfpiaDisclosure:
    """The CMS general or research file of `year`, or the EFPIA disclosure of `country` and `year`."""
    if kind in KINDS:
        return cms_export(user, kind=kind, year=year)
    if kind == "efpia":
        return efpia_disclosure(user, year=year, country=country)
    raise ValueError(f"unknown export {kind!r}; choose one of {', '.join(EXPORT_KINDS)}")
