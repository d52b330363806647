"""News time words in a question, resolved against the as-of date.

"Which country swore in its first female president this week?" asked as of
2024-10-03 is about reports from 2024-09-26 to 2024-10-03; an older report of
an earlier state (a nominee who later lost the vote) should not win over it.
`period` turns such words into a window of publication dates that retrieval
favours; `wants_latest` spots questions about the current state of things, and
`asks_latest_report` those asking what the newest report says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# Reports appear a day or two after the events they tell.
LAG = timedelta(days=2)

_RELATIVE = [
    (re.compile(r"\btoday\b|\bthis (?:morning|afternoon|evening)\b|\btonight\b", re.I), 0, 0),
    (re.compile(r"\byesterday\b|\blast night\b", re.I), 1, 1),
    (re.compile(r"\b(?:this|past|last|previous) week(?:end)?\b|\brecently\b|\bthis weekend\b|"
                r"\bdays? ago\b|\bin recent days\b", re.I), 7, 0),
    (re.compile(r"\b(?:this|past|last) month\b|\brecent weeks\b|\bweeks? ago\b", re.I), 31, 0),
    (re.compile(r"\b(?:this|past|last) year\b|\bmonths ago\b", re.I), 365, 0),
]
_WEEKDAY = re.compile(r"\b(?:on|last|this) (" + "|".join(WEEKDAYS) + r")\b", re.I)
_ANY_WEEKDAY = re.compile(r"\b(?:" + "|".join(WEEKDAYS) + r")\b", re.I)
_LATEST = re.compile(r"\b(?:latest|most recent|newest|currently|current|still|now)\b", re.I)


@dataclass(frozen=True)
class Period:
    """Publication dates from `start` to `end`, both included."""

    start: date
    end: date

    def holds(self, published: str | None) -> bool:
        return bool(published) and self.start.isoformat() <= (published or "")[:10] \
            <= self.end.isoformat()


def period(question: str, as_of: date) -> Period | None:
    """The reports a question's time words point to, as of `as_of`; None without them."""
    if match := _WEEKDAY.search(question):
        back = (as_of.weekday() - WEEKDAYS.index(match.group(1).lower())) % 7
        day = as_of - timedelta(days=back)
        return Period(day, min(as_of, day + LAG))
    for pattern, days_back, until_back in _RELATIVE:
        if pattern.search(question):
            return Period(as_of - timedelta(days=days_back) - (LAG if days_back < 7 else
                                                                 timedelta(0)),
                          as_of - timedelta(days=until_back) + (LAG if until_back else
                                                                timedelta(0)))
    return None


def places_in_time(text: str) -> bool:
    """Whether `text` dates what it tells against its own report's date: a weekday ("said
    Thursday"), "today", "yesterday", "this week", "days ago" and the like."""
    return bool(_ANY_WEEKDAY.search(text)) or any(p.search(text) for p, _, _ in _RELATIVE)


# "What is the latest on X?", "What's the most recent news about X?": the question asks for
# the newest report itself, not for one fact in it.
_LATEST_REPORT = re.compile(r"^\s*what(?:'s|’s|\s+is|\s+are)\s+the\s+(?:latest|most recent|newest)"
                            r"(?:\s+(?:report|news|update|word|information|development)s?)?"
                            r"\s+(?:on|about|regarding|concerning|in|with)\b", re.I)


def asks_latest_report(question: str) -> bool:
    """Whether the question asks what the newest report on something says."""
    return bool(_LATEST_REPORT.match(question))


def wants_latest(question: str) -> bool:
    """Whether the question asks for the current state ("the latest on", "still")."""
    return bool(_LATEST.search(question))
