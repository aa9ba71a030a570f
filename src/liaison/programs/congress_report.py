"""The congress part of the event report's PDF (programs/report.py calls it for congresses): coverage by kind,
the priority sessions nobody covered, the themes heard and the key notes per session. The HTML page shows the
same data (templates/programs/_congress_report.html)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from .congress_queries import CongressReport


def write_pdf(
    data: CongressReport,
    *,
    heading: Callable[[str], None],
    line: Callable[[str], None],
    table: Callable[[list[str], list[list[str]]], None],
) -> None:
    """Write the congress sections with the report's own heading, paragraph and table helpers."""
    t = data.total
    heading(f"Coverage ({t.covered} of {t.sessions} sessions covered, {t.assigned} assigned)")
    if data.coverage:
        table(
            ["Kind", "Sessions", "Assigned", "Covered", "Not covered"],
            [
                [k.label, str(k.sessions), str(k.assigned), str(k.covered), str(k.uncovered)]
                for k in [*data.coverage, t]
            ],
        )
    if data.gaps:
        line("Priority sessions not covered: " + "; ".join(f"{s.code} {s.title}" for s in data.gaps))

    heading("Themes heard")
    if not data.themes:
        line("—")
    for theme, insights in data.themes:
        line(f"{theme} ({len(insights)})")
        for insight in insights:
            line(f"    • {insight.text}")

    heading("Key notes per session")
    if not data.sessions:
        line("—")
    for summary in data.sessions:
        s = summary.session
        when = timezone.localtime(s.starts_at, s.event.zone)
        by = ", ".join(u.display_name for u in summary.covered_by)
        line(
            f"{s.code} · {s.get_kind_display()} · {when:%d %b %H:%M} · {s.title}"
            + (f" (covered by {by})" if by else "")
        )
        for note in summary.notes:
            line(f"    {note.author.display_name}: {note.text}")
        for insight in summary.insights:
            line(f"    Insight: {insight.text}")
