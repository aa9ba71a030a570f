"""Does a planned meeting respect an HCP's communication preferences? Channel, time window and frequency.

Time windows are free text typed by MSLs ("Tue-Thu 08:00-10:00", "Mon, Wed 2-4pm", "weekday mornings",
"Mon 08:00-09:00; Fri 16:00-17:00"), so the parser accepts the usual spellings and says plainly when it cannot
read one instead of guessing: a wrong "yes" would send an MSL into a meeting the HCP asked not to have.
Pure Python (no Django) so that every spelling is cheap to test.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_WORDS = {
    "mon": 0, "monday": 0, "mondays": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "tuesdays": 1,
    "wed": 2, "weds": 2, "wednesday": 2, "wednesdays": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "thursdays": 3,
    "fri": 4, "friday": 4, "fridays": 4,
    "sat": 5, "saturday": 5, "saturdays": 5,
    "sun": 6, "sunday": 6, "sundays": 6,
}  # fmt: skip
_DAY_GROUPS = {
    "weekday": frozenset(range(5)),
    "weekdays": frozenset(range(5)),
    "weekend": frozenset({5, 6}),
    "weekends": frozenset({5, 6}),
    "daily": frozenset(range(7)),
    "any": frozenset(range(7)),
    "anytime": frozenset(range(7)),
}
# Parts of the day, as a window an MSL would read them.
_PARTS = {
    "morning": (dt.time(8), dt.time(12)),
    "mornings": (dt.time(8), dt.time(12)),
    "afternoon": (dt.time(12), dt.time(17)),
    "afternoons": (dt.time(12), dt.time(17)),
    "evening": (dt.time(17), dt.time(20)),
    "evenings": (dt.time(17), dt.time(20)),
    "lunch": (dt.time(12), dt.time(14)),
    "lunchtime": (dt.time(12), dt.time(14)),
}
# Words that carry no meaning for the window ("only Tue and Thu, between 8 and 10").
_FILLER = {
    "only",
    "between",
    "from",
    "and",
    "or",
    "at",
    "on",
    "the",
    "day",
    "days",
    "any",
    "time",
    "until",
    "hrs",
}
_CLOCK = r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?"
_RANGE = re.compile(rf"{_CLOCK}\s*(?:-|to|until|and)\s*{_CLOCK}")
_DAY_RANGE = re.compile(r"([a-z]+)\s*-\s*([a-z]+)")

FREQUENCY_DAYS = {"monthly": 30, "quarterly": 90, "twice_a_year": 182, "yearly": 365}


class WindowError(ValueError):
    """A time window the parser cannot read; the message says which part."""


@dataclass(frozen=True)
class Clause:
    """Some days of the week (0 = Monday) and a time of day range [start, end)."""

    days: frozenset[int]
    start: dt.time
    end: dt.time

    def contains(self, moment: dt.datetime) -> bool:
        """True when `moment` (local time) falls on one of the days and inside the range."""
        clock = moment.time().replace(tzinfo=None)
        return moment.weekday() in self.days and self.start <= clock < self.end

    def describe(self) -> str:
        return f"{_days_text(self.days)} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class TimeWindow:
    """One or more clauses; a moment is inside the window when any clause contains it."""

    clauses: tuple[Clause, ...]

    def contains(self, moment: dt.datetime) -> bool:
        return any(c.contains(moment) for c in self.clauses)

    def describe(self) -> str:
        return "; ".join(c.describe() for c in self.clauses)


def _days_text(days: frozenset[int]) -> str:
    if days == frozenset(range(7)):
        return "every day"
    ordered = sorted(days)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAY_NAMES[ordered[0]]}-{DAY_NAMES[ordered[-1]]}"
    return ", ".join(DAY_NAMES[d] for d in ordered)


def _clock(hour: str, minute: str | None, meridiem: str | None) -> tuple[int, int, str | None]:
    return int(hour), int(minute or 0), (meridiem or "").replace(".", "") or None


def _to_time(hour: int, minute: int, meridiem: str | None, text: str) -> dt.time:
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise WindowError(f"{hour}{meridiem} is not a time of day in {text!r}")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour == 24 and minute == 0:
        return dt.time(23, 59, 59)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise WindowError(f"{hour:02d}:{minute:02d} is not a time of day in {text!r}")
    return dt.time(hour, minute)


def _day(word: str, text: str) -> int:
    if word not in _DAY_WORDS:
        raise WindowError(f"{word!r} is not a day of the week in {text!r}")
    return _DAY_WORDS[word]


def _parse_clause(clause: str, text: str) -> list[Clause]:
    ranges: list[tuple[dt.time, dt.time]] = []
    for match in _RANGE.finditer(clause):
        h1, m1, a1 = _clock(*match.group(1, 2, 3))
        h2, m2, a2 = _clock(*match.group(4, 5, 6))
        # "9-11am" and "2-4 pm": a missing meridiem on the start borrows the end's when that keeps start < end.
        if a1 is None and a2 is not None and h1 <= 12:
            a1 = a2 if (h1 % 12 + (12 if a2 == "pm" else 0)) < (h2 % 12 + (12 if a2 == "pm" else 0)) else "am"
        start, end = _to_time(h1, m1, a1, text), _to_time(h2, m2, a2, text)
        if end <= start:
            raise WindowError(f"the range {match.group(0).strip()!r} ends before it starts in {text!r}")
        ranges.append((start, end))
    rest = _RANGE.sub(" ", clause)
    days: set[int] = set()
    for match in _DAY_RANGE.finditer(rest):
        first, last = _day(match.group(1), text), _day(match.group(2), text)
        span = (last - first) % 7
        days.update((first + i) % 7 for i in range(span + 1))
    rest = _DAY_RANGE.sub(" ", rest)
    for word in re.findall(r"[a-z]+|\d+\S*", rest):
        if word in _DAY_WORDS:
            days.add(_DAY_WORDS[word])
        elif word in _DAY_GROUPS:
            days.update(_DAY_GROUPS[word])
        elif word in _PARTS:
            ranges.append(_PARTS[word])
        elif word not in _FILLER:
            raise WindowError(f"cannot read {word!r} in {text!r}")
    if not days and not ranges:
        raise WindowError(f"no days or hours in {text!r}")
    day_set = frozenset(days) if days else frozenset(range(7))
    spans = ranges or [(dt.time(0), dt.time(23, 59, 59))]
    return [Clause(day_set, start, end) for start, end in spans]


def parse_time_window(text: str) -> TimeWindow:
    """Read a preferred time window; raise WindowError naming the part that makes no sense.

    Accepted: day names and abbreviations, day ranges (wrapping: "Fri-Mon"), "weekdays"/"weekends",
    times as 08:00, 8.30, 8h30, 8am, 2 pm, ranges with "-", an en dash, "to" or "until", parts of the day
    ("mornings"), several clauses separated by ";" or "|". Days without hours mean the whole day; hours
    without days mean every day.
    """
    normal = (
        text.lower().replace("–", "-").replace("—", "-").replace("noon", "12pm").replace("midday", "12pm")
    )
    clauses = [part for part in re.split(r"[;|\n]", normal) if part.strip()]
    if not clauses:
        raise WindowError("the time window is empty")
    return TimeWindow(tuple(c for part in clauses for c in _parse_clause(part.strip(), text.strip())))


@dataclass(frozen=True)
class PreferenceCheck:
    """One aspect of the preferences against the planned meeting: respected (True/False) or unknown (None)."""

    aspect: str
    respected: bool | None
    reason: str

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "no", None: "unknown"}[self.respected]


def check_channel(preferred: list[str], channel: str | None, labels: dict[str, str]) -> PreferenceCheck:
    """Is the planned channel one of the preferred ones?"""
    named = ", ".join(labels.get(c, c) for c in preferred)
    if not preferred:
        return PreferenceCheck("channel", None, "No preferred channel is recorded.")
    if not channel:
        return PreferenceCheck("channel", None, f"No channel planned yet; they prefer {named}.")
    label = labels.get(channel, channel)
    if channel in preferred:
        return PreferenceCheck("channel", True, f"{label} is one of their preferred channels ({named}).")
    return PreferenceCheck("channel", False, f"{label} is not a preferred channel; they prefer {named}.")


def check_time(window_text: str, at: dt.datetime | None) -> PreferenceCheck:
    """Is the planned time (already in local time) inside the preferred window?"""
    if not window_text.strip():
        return PreferenceCheck("time", None, "No preferred time window is recorded.")
    try:
        window = parse_time_window(window_text)
    except WindowError as exc:
        return PreferenceCheck("time", None, f"The recorded window could not be read: {exc}.")
    if at is None:
        return PreferenceCheck("time", None, f"No time planned yet; they prefer {window.describe()}.")
    when = f"{DAY_NAMES[at.weekday()]} {at:%Y-%m-%d %H:%M}"
    if window.contains(at):
        return PreferenceCheck("time", True, f"{when} is inside their window ({window.describe()}).")
    return PreferenceCheck("time", False, f"{when} is outside their window ({window.describe()}).")


def check_frequency(
    frequency: str, last: dt.date | None, planned: dt.date, label: str, *, requested: bool
) -> PreferenceCheck:
    """Is the meeting at least the preferred interval after the last interaction?

    "Only on request" is respected when something they asked for is open (an inquiry or a follow-up): the
    brief cannot know that they asked for this meeting, so without one the answer is "unknown".
    """
    if not frequency:
        return PreferenceCheck("frequency", None, "No preferred frequency is recorded.")
    if frequency == "on_request":
        if requested:
            return PreferenceCheck(
                "frequency", True, "They prefer contact only on request, and a request of theirs is open."
            )
        return PreferenceCheck(
            "frequency", None, "They prefer contact only on request: check that they asked for this meeting."
        )
    interval = FREQUENCY_DAYS.get(frequency)
    if interval is None:
        return PreferenceCheck("frequency", None, f"Unknown frequency {frequency!r}.")
    if last is None:
        return PreferenceCheck("frequency", True, f"{label}; no earlier interaction on record.")
    gap = (planned - last).days
    if gap >= interval:
        return PreferenceCheck(
            "frequency",
            True,
            f"{label}: {gap} days since the last interaction ({last:%Y-%m-%d}), at least {interval}.",
        )
    return PreferenceCheck(
        "frequency",
        False,
        f"{label}: only {gap} days since the last interaction ({last:%Y-%m-%d}), fewer than {interval}.",
    )


def overall(checks: list[PreferenceCheck]) -> PreferenceCheck:
    """No when any aspect is broken; yes when every aspect is respected; otherwise unknown, naming what is."""
    broken = [c.aspect for c in checks if c.respected is False]
    unknown = [c.aspect for c in checks if c.respected is None]
    if broken:
        return PreferenceCheck("overall", False, f"Does not respect their {' and '.join(broken)} preference.")
    if unknown:
        return PreferenceCheck("overall", None, f"Not known for {', '.join(unknown)}; see below.")
    return PreferenceCheck("overall", True, "Respects their channel, time and frequency preferences.")
