"""Human labels for the internal codes the pages would otherwise show raw: audit event types
("hcp.updated" -> "HCP updated"), identifier schemes ("open_payments_profile_id" -> "Open Payments profile ID"),
question types ("not_drug_question" -> "Not a drug question").

A code with a label of its own in LABELS gets it; any other is read as words (dots and underscores become spaces,
the first word capitalised, known acronyms upper-cased), so a new code never shows as an internal name.
"""

from __future__ import annotations

import re

LABELS: dict[str, str] = {
    "not_drug_question": "Not a drug question",
    "unanswerable": "Unanswerable",
    "open_payments_profile_id": "Open Payments profile ID",
    "npi": "NPI",
    "orcid": "ORCID",
}
ACRONYMS = {
    "hcp": "HCP", "hcps": "HCPs", "kol": "KOL", "kols": "KOLs", "ae": "AE", "mfa": "MFA", "api": "API",
    "npi": "NPI", "orcid": "ORCID", "id": "ID", "ids": "IDs", "sla": "SLA", "pdf": "PDF", "csv": "CSV",
    "ics": "ICS", "mesh": "MeSH", "nct": "NCT", "url": "URL", "efpia": "EFPIA", "cms": "CMS", "totp": "TOTP",
}  # fmt: skip
_SPLIT = re.compile(r"[._\s]+")


def code_label(code: str) -> str:
    """The label of an internal code, for people."""
    code = (code or "").strip()
    if not code:
        return ""
    if code in LABELS:
        return LABELS[code]
    words = [w for w in _SPLIT.split(code) if w]
    out = [ACRONYMS.get(w.lower(), w.lower()) for w in words]
    if out and out[0] == words[0].lower():
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


def codes_matching(text: str, codes: list[str]) -> list[str]:
    """The codes whose code or label contains `text` (case-insensitive): what a filter typed by a person means."""
    needle = " ".join(text.lower().split())
    return [c for c in codes if needle in c.lower() or needle in code_label(c).lower()]
