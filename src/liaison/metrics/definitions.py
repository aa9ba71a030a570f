"""What each metric means (the title and definition shown beside each figure) and the Metric builders return.

Definitions also live in docs/metrics.md; the pages, the CSV and the PDF print these next to each figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RESOURCE = "metrics"

DEFINITIONS: dict[str, tuple[str, str]] = {
    "kol_coverage": (
        "Coverage of tiered KOLs against plan",
        "Share of active tiered HCPs (tier 1 to 4) who had at least the planned number of submitted "
        "interactions in the period. The plan comes from, in order: the HCP's KOL plans; else the plans of the "
        "HCP's territory with a target for its tier, shared equally among the territory's active HCPs of that "
        "tier; else the default plan (3 visits per quarter for tier 1, 2 for tier 2, 1 for tiers 3 and 4). A "
        "plan counts for the share of its days inside the period, overlapping plans add up, and the sum is "
        "rounded up. Only engagement plans the viewer may see count (a manager: their team's), narrowed by the "
        "team and territory filters like the visits, which count interactions the viewer may see that the HCP "
        "attended.",
    ),
    "priority_coverage": (
        "Listening-priority coverage",
        "Share of active listening priorities with at least one submitted or reviewed insight in the 90 days "
        "before the end of the period.",
    ),
    "insight_yield": (
        "Insight yield and rated quality per interaction",
        "Submitted or reviewed insights linked to the period's submitted interactions, divided by those "
        "interactions, per therapeutic area and overall; 'reviewed' is the share a reviewer has already "
        "reviewed. Quality comes from the reviewers' ratings the viewer may see, each insight weighing once (the "
        "mean of its ratings): 'rated' is the share of insights with a rating; mean specific and mean actionable "
        "(1 to 5) are over rated insights; 'new' is the share of rated insights that at least half of their "
        "reviewers judged new. High-value per interaction = insights rated 4 or more on both scales and judged "
        "new, divided by the interactions; an insight not yet rated is not counted as high-value.",
    ),
    "insight_to_action": (
        "Insight-to-action rate and latency",
        "Share of the period's reviewed insights (by submission date) that fed an action (their theme has an "
        "action that was not cancelled), with the median days from submission to the first action and to its "
        "recorded outcome, per therapeutic area; computed by the insight-to-action loop's report (docs/"
        "insight-to-action.md) over the insights the reader may see. The team filter keeps that team's row.",
    ),
    "follow_up_timeliness": (
        "Follow-up timeliness",
        "Follow-ups due in the period (cancelled ones left out): done on or before the due date, done late, "
        "still open past the due date, or open and not yet due. On time = done on time / all due.",
    ),
    "inquiry_sla": (
        "Medical inquiry SLA",
        "Inquiries received in the period: answered within INQUIRY_SLA_HOURS of receipt, answered later, open "
        "past the SLA, or open within it. Performance = answered within SLA / (all but open within SLA).",
    ),
    "ae_sla": (
        "Adverse event SLA",
        "Safety reports with Day 0 in the period: acknowledged by drug safety within SAFETY_SLA_HOURS of Day 0, "
        "acknowledged later, unacknowledged past the SLA, or pending within it. Counts the reports the viewer "
        "may see (safety's row policy: a manager or medical lead sees the reports they raised).",
    ),
    "proactive_share": (
        "Proactive vs reactive interactions",
        "Submitted interactions in the period per channel, split by who initiated them: proactive (the MSL) "
        "or reactive (the HCP asked). Share = proactive / all.",
    ),
    "kol_feedback": (
        "KOL feedback",
        "How valuable HCPs said the period's submitted interactions were, where the MSL recorded it (1 = not "
        "valuable, 5 = very valuable; one record per attendee, said in the meeting, told afterwards or from a "
        "survey). Per therapeutic area: interactions, those with any feedback and their share, feedback records, "
        "the mean value and how many gave each value 1 to 5. Bars: mean value / 5. Counts interactions and "
        "feedback the viewer may see.",
    ),
    "stakeholder_feedback": (
        "Internal stakeholder feedback on digests",
        "Feedback recorded in the period on digests sent to internal stakeholders, per function: 'used' or "
        "'not relevant'. Share used = used / all feedback.",
    ),
}
ORDER = tuple(DEFINITIONS)


@dataclass
class Metric:
    """One metric as shown: headline, the table behind the chart, and the bars the chart draws.

    `bars` holds (label, share 0..1, text); `available` is False when the data it needs is not recorded.
    """

    key: str
    title: str
    definition: str
    headline: str
    columns: list[str]
    rows: list[list[Any]]
    bars: list[tuple[str, float, str]] = field(default_factory=list)
    available: bool = True


def ratio(part: int, whole: int) -> float:
    """part / whole, 0.0 when there is no whole."""
    return part / whole if whole else 0.0


def percent(part: int, whole: int) -> str:
    """part / whole as a whole percentage ("42%"), "n/a" when there is no whole."""
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def build_metric(
    key: str,
    headline: str,
    columns: list[str],
    rows: list[list[Any]],
    bars: list[tuple[str, float, str]],
    *,
    available: bool = True,
) -> Metric:
    """A Metric titled and defined from DEFINITIONS[key]."""
    title, definition = DEFINITIONS[key]
    return Metric(key, title, definition, headline, columns, rows, bars, available)
