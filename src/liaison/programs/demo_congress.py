"""The demo congress's programme, coverage plan, session notes and insights, and its report sent to stakeholders.

programs/demo.py creates the congress (held about a month before the demo's today) and calls
`load_congress_demo`. The programme is the sample CSV shipped in programs/data, its dates moved to the congress's
own days, and imported through the real import; the report goes through `send_report` with a mail connection
that delivers nothing (the demo's addresses are example.org), so it is recorded as sent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from importlib import resources
from typing import Any

from django.core.mail import get_connection
from django.utils import timezone

from . import actions
from .actions import congress
from .models import Event

DATE_CELL = re.compile(r"(?<=,)\d{4}-\d{2}-\d{2}(?=,)")
REPORT_RECIPIENTS = [
    "medical-director@example.org",
    "oncology-medical-lead@example.org",
    "heor-lead@example.org",
]
# (session code, index of the demo MSL covering it, note or "", insight or "", priority index or None)
COVERAGE: tuple[tuple[str, int, str, str, int | None], ...] = (
    (
        "PL01",
        0,
        "Chairs framed the congress around closing the gap between trial results and routine care.",
        "",
        None,
    ),
    (
        "101O",
        0,
        "Reflex PD-L1 at diagnosis cut the median wait for a first-line decision from 24 to 11 days in eight "
        "community hospitals. Discussant: the saving came from pathology ordering, not from the assay.",
        "Community oncologists in the Q&A asked for a template reflex-testing order set they could take to "
        "their tumour boards.",
        0,
    ),
    (
        "102O",
        1,
        "Plasma EGFR genotyping agreed with tissue in 91% of cases; results came back a week earlier.",
        "Several centres will start plasma testing in parallel with the biopsy when tissue is likely to be scant.",
        0,
    ),
    (
        "103O",
        1,
        "Median turnaround for comprehensive profiling ranged from 8 to 29 days across laboratories.",
        "",
        None,
    ),
    (
        "201P",
        0,
        "Poster: about one EBUS sample in six was insufficient for NGS; rapid on-site evaluation halved that.",
        "",
        None,
    ),
    (
        "301O",
        1,
        "Pooled analysis of docetaxel combinations after checkpoint inhibitors; benefit was modest and mostly in "
        "patients with a long first-line response.",
        "Clinicians want real-world data on the second line after immunotherapy before changing their practice.",
        1,
    ),
    (
        "302O",
        0,
        "Re-biopsy at progression was feasible in about half the patients; yield was best in bone lesions.",
        "",
        None,
    ),
    (
        "LBA01",
        0,
        "Overall survival benefit of adjuvant EGFR inhibition held at five years; the room discussed testing "
        "every resected tumour.",
        "Surgeons said they now send resected tissue for EGFR testing routinely, which they did not do a year ago.",
        0,
    ),
    (
        "LBA02",
        1,
        "Subcutaneous PD-1 blockade matched intravenous exposure; chair time per patient fell by two thirds.",
        "Day-unit nurses see subcutaneous dosing as the quickest way to free infusion chairs.",
        None,
    ),
    (
        "401O",
        2,
        "Registry of 6 000 patients: each week of waiting for a biomarker result raised the chance of starting "
        "chemotherapy without targeted options.",
        "Payers in the audience asked for the cost of a week's delay to be modelled.",
        0,
    ),
    (
        "402O",
        2,
        "Pathologists named staffing, more than payment, as what holds back testing at diagnosis.",
        "",
        None,
    ),
    (
        "503P",
        2,
        "Poster: the two PD-L1 assays agreed in most small biopsies; disagreements clustered near 50%.",
        "",
        None,
    ),
    (
        "601O",
        1,
        "Treatment beyond progression helped a small group with slow, single-site progression.",
        "Investigators would like clearer criteria for treating beyond progression in the second line.",
        1,
    ),
    (
        "701O",
        0,
        "Stepped-wedge trial: reflex NGS raised the share of patients with a full result before first line "
        "from 54% to 83%.",
        "",
        None,
    ),
    (
        "702O",
        2,
        "Referral from district hospitals to a thoracic centre took a median of 19 days.",
        "Outreach clinics by the thoracic centre were seen as the most practical fix for referral delays.",
        None,
    ),
    # Assigned and not covered (the speaker withdrew; the poster was missed): the report shows them.
    ("802P", 2, "", "", None),
    ("SY02", 1, "", "", None),
)


def _shifted_programme(event: Event) -> bytes:
    """The sample programme with its dates moved so that its first day is the congress's first day."""
    raw = (resources.files("liaison.programs") / "data" / "congress_programme.csv").read_text(
        encoding="utf-8"
    )
    rows = list(csv.DictReader(io.StringIO(raw)))
    first = min(dt.date.fromisoformat(r["date"]) for r in rows)
    offset = timezone.localtime(event.starts_at, event.zone).date() - first
    # The dates are whole cells of the `date` column (no title holds one), so a substitution moves them all.
    return DATE_CELL.sub(lambda m: (dt.date.fromisoformat(m[0]) + offset).isoformat(), raw).encode()


def load_congress_demo(
    event: Event,
    *,
    acting: Callable[[Any], AbstractContextManager[Any]],
    owner: Any,
    msls: list[Any],
    priorities: list[Any],
) -> dict[str, int]:
    """Import the programme, plan coverage over `msls`, add their notes and insights, complete the congress
    and send its report (due 5 days after the end). Returns counts for the summary."""
    team = msls or [owner]
    with acting(owner):
        report = congress.import_sessions(event, acting_user=owner, data=_shifted_programme(event))
        sessions = {s.code: s for s in event.sessions.all()}
        for code, who, *_ in COVERAGE:
            congress.assign_coverage(sessions[code], acting_user=owner, user=team[who % len(team)])
    insights = 0
    for code, who, note, insight, priority in COVERAGE:
        user = team[who % len(team)]
        with acting(user):
            if note:
                congress.add_session_note(sessions[code], acting_user=user, text=note)
            if insight:
                congress.add_session_insight(
                    sessions[code],
                    acting_user=user,
                    text=insight,
                    listening_priority=priorities[priority]
                    if priority is not None and priority < len(priorities)
                    else None,
                )
                insights += 1
    with acting(owner):
        congress.set_report_delivery(
            event, acting_user=owner, report_due_days=5, report_recipients=REPORT_RECIPIENTS
        )
        actions.change_status(event, acting_user=owner, status="completed")
        congress.send_report(
            event,
            acting_user=owner,
            connection=get_connection("django.core.mail.backends.dummy.EmailBackend"),
        )
    return {"sessions": report.created, "insights": insights}
