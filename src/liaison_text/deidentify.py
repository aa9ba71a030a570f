"""De-identification of insight text shared beyond medical, and warnings about patient identifiers in notes.

Two uses with different costs of a miss:
- `deidentify` runs before text leaves medical (aggregate reports for commercial, stakeholder digests): names
  of HCPs and patients, record numbers, contact details and dates are replaced by placeholders such as
  [NAME] and [DATE]. The names the app knows (HCPs of the record, the author) come in as `names`; titled
  names ("Dr Okafor", "Mrs. Patel") and names after "patient" are found by pattern.
- `patient_identifier_warnings` tells the MSL, while typing, that a note holds more than a safety report may:
  patient identifiers are limited to initials, age and sex (a name, a record number or a full birth date is
  a warning, never a block).
- `small_groups` names the groups of an aggregate that are too small to share (fewer than five HCPs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# Full dates: day, month and year. A month and year alone is kept by the warning (it is not a birth date)
# but removed by `deidentify`, which removes every date.
FULL_DATE = re.compile(
    r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTH},? \d{{4}}|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})\b",
    re.IGNORECASE,
)
PARTIAL_DATE = re.compile(
    rf"\b(?:{_MONTH} \d{{4}}|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTH})\b", re.IGNORECASE
)
# The birth context must lead straight into the date: "DOB 03/04/1961", "born on 3 April 1961".
_BIRTH_CONTEXT = re.compile(
    r"\b(?:DOB|D\.O\.B\.?|date of birth|born(?: on)?|birth ?date|birthday)[\s:,()-]*(?:on|is|was)?\s*$", re.I
)
RECORD_NUMBER = re.compile(
    r"\b(?:MRN|medical record(?: number| no\.?)?|record (?:number|no\.?)|hospital (?:number|no\.?)|"
    r"NHS (?:number|no\.?)|patient (?:ID|number|no\.?)|chart (?:number|no\.?)|case (?:number|no\.?)|"
    r"SSN|social security(?: number)?|insurance (?:number|no\.?)|member ID)\s*[:#]?\s*(?:\d[\d -]{4,}\d|[A-Z0-9][A-Z0-9-]{3,})\b"
    r"|\b\d{7,}\b|\b[A-Z]{2,3}\d{6,}\b",
    re.IGNORECASE,
)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(r"(?<!\w)(?:\+?\d{1,3}[ .-]?\(?\d{2,4}\)?[ .-]\d{3,4}[ .-]\d{3,4}|0\d{3,4}[ -]?\d{6,7})\b")
_NAME_WORD = r"[A-Z][a-z'\u2019-]+(?:-[A-Z][a-z]+)?"
TITLED_NAME = re.compile(
    rf"\b(?:Dr|Doctor|Prof|Professor|Mr|Mrs|Ms|Miss|Mx|Nurse|Sister)\.? (?:{_NAME_WORD} ){{0,2}}{_NAME_WORD}\b"
)
# "patient Jane Doe", "her son Tom Baker", "named Maria": a capitalised word right after a person noun.
PERSON_NAME = re.compile(
    rf"\b(?:patient|pt|mother|father|son|daughter|wife|husband|partner|child|baby|caregiver|named|called)"
    rf"\s+(?P<name>{_NAME_WORD}(?: {_NAME_WORD})?)\b"
)
_NOT_NAMES_WORDS = (
    "The A An He She They It This That His Her Their Was Is Has Had Who Which And But With On In At "
    "Reported Developed Experienced Took Started Stopped Received "
)
_NOT_NAMES = frozenset(_NOT_NAMES_WORDS.split())


def _name_pattern(names: Sequence[str]) -> re.Pattern[str] | None:
    """Full names, and the surname alone when it is at least four letters (short ones collide with words)."""
    parts: set[str] = set()
    for name in names:
        name = " ".join(name.split())
        if not name:
            continue
        parts.add(re.escape(name))
        words = name.split()
        if len(words) > 1 and len(words[-1]) >= 4:
            parts.add(re.escape(words[-1]))
    if not parts:
        return None
    return re.compile(r"\b(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def deidentify(text: str, *, names: Sequence[str] = ()) -> str:
    """`text` with names, identifiers, contact details and dates replaced by placeholders."""
    text = text or ""
    text = EMAIL.sub("[EMAIL]", text)
    text = FULL_DATE.sub("[DATE]", text)
    text = PARTIAL_DATE.sub("[DATE]", text)
    text = RECORD_NUMBER.sub("[ID]", text)
    text = PHONE.sub("[PHONE]", text)
    known = _name_pattern(names)
    if known is not None:
        text = known.sub("[NAME]", text)
    text = TITLED_NAME.sub("[NAME]", text)

    def person(match: re.Match[str]) -> str:
        name = match.group("name")
        if name.split()[0] in _NOT_NAMES:
            return match.group(0)
        return match.group(0)[: match.start("name") - match.start()] + "[NAME]"

    return PERSON_NAME.sub(person, text)


def patient_identifier_warnings(text: str) -> list[str]:
    """Plain-language warnings about patient identifiers beyond initials, age and sex; [] when none."""
    text = text or ""
    warnings: list[str] = []
    for match in PERSON_NAME.finditer(text):
        name = match.group("name")
        if name.split()[0] not in _NOT_NAMES:
            warnings.append(f"a name (\u201c{name}\u201d): use the patient's initials only")
    for match in re.finditer(r"\b(?:Mr|Mrs|Ms|Miss|Mx)\.? " + _NAME_WORD + r"\b", text):
        warnings.append(f"a name (\u201c{match.group(0)}\u201d): use the patient's initials only")
    records = list(RECORD_NUMBER.finditer(text))
    for match in records:
        warnings.append(f"a record or identification number (\u201c{match.group(0)}\u201d): remove it")
    for match in PHONE.finditer(text):
        if any(r.start() < match.end() and match.start() < r.end() for r in records):
            continue
        warnings.append(f"a phone number (\u201c{match.group(0)}\u201d): remove it")
    for match in FULL_DATE.finditer(text):
        before = text[max(0, match.start() - 20) : match.start()]
        if _BIRTH_CONTEXT.search(before):
            warnings.append(f"a full birth date (\u201c{match.group(0)}\u201d): record the age instead")
    return list(dict.fromkeys(warnings))


def small_groups(counts: Mapping[str, int], minimum: int = 5, *, complementary: bool = True) -> set[str]:
    """The groups to suppress in an aggregate so that no group of fewer than `minimum` HCPs is shown.

    With `complementary` (the default), when exactly one group is too small and the total is shown, the
    next smallest group is suppressed too: otherwise the small one is the total minus the others.
    """
    small = {key for key, count in counts.items() if 0 < count < minimum}
    if complementary and len(small) == 1:
        others = sorted((count, key) for key, count in counts.items() if key not in small and count > 0)
        if others:
            small.add(others[0][1])
    return small
