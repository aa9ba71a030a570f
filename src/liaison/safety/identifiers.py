"""Patient-identifier warnings on a safety report's free text (names, record numbers, full birth dates).

Patient identifiers in AE narratives are limited to initials, age and sex (GDPR data minimisation, GVP VI).
The case fields enforce that; free text cannot be checked as strictly, so the report page and the API warn
instead of refusing: a report must never be held back from drug safety because a note holds a name.

The check itself is Django-free (`liaison_text.deidentify`); a conservative local fallback keeps the warnings
working where that module is not installed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_RECORD_NUMBER = re.compile(
    r"\b(?:MRN|medical record(?: number| no\.?)?|record (?:number|no\.?)|hospital (?:number|no\.?)|"
    r"patient (?:id|number|no\.?)|NHS (?:number|no\.?))\s*[:#]?\s*[A-Z0-9-]{4,}",
    re.IGNORECASE,
)
_BIRTH_DATE = re.compile(
    r"\b(?:DOB|date of birth|born(?: on)?)\s*[:,]?\s*"
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2} [A-Z][a-z]+ \d{4}|[A-Z][a-z]+ \d{1,2},? \d{4})",
    re.IGNORECASE,
)
_NAME = re.compile(
    r"\b(?i:patient|pt|mr|mrs|ms|miss)\.?\s+(?i:(?:named|called)\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?"
)


def _fallback(text: str) -> list[str]:
    """Warnings from a few conservative patterns, used only when liaison_text.deidentify is missing."""
    found = []
    if _NAME.search(text):
        found.append("a patient's name")
    if _RECORD_NUMBER.search(text):
        found.append("a record or hospital number")
    if _BIRTH_DATE.search(text):
        found.append("a full date of birth")
    return found


def _checker() -> Callable[[str], list[str]]:
    try:
        from liaison_text.deidentify import patient_identifier_warnings
    except ImportError:
        return _fallback
    return patient_identifier_warnings


def identifier_warnings(texts: Mapping[str, str]) -> list[str]:
    """One warning line per free-text field that seems to hold a patient identifier, naming the field."""
    check = _checker()
    warnings = []
    for field, text in texts.items():
        if not text:
            continue
        found = check(text)
        if found:
            warnings.append(f"{field}: " + "; ".join(dict.fromkeys(found)))
    return warnings
