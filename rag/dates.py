"""Find publication dates in the many shapes news pages print them."""

from __future__ import annotations

import re
from datetime import date, datetime

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"

_ISO = re.compile(
    r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)(?:[T ][0-2]\d:[0-5]\d[^\s]*)?\b"
)
_NUMERIC = re.compile(r"\b(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<year>(?:19|20)\d\d)\b")
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_MONTH_FIRST = re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE)
_DAY_FIRST = re.compile(rf"\b{_DAY}\s+{_MONTH}\s+{_YEAR}\b", re.IGNORECASE)


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_date(text: str) -> date | None:
    """Return the first full date (with a year) in `text`, or None.

    Handles ISO dates and timestamps (`2023-09-26T19:11:30+00:00`), US numeric
    dates (`1/30/2020`; day-first when the first number cannot be a month),
    and written months (`Jan 16, 2020`, `January 16th 2020`, `16 January 2020`).
    A dateline such as `Baghdad, Jan 16 (AFP) Jan 16, 2020` yields the dated part.
    """
    candidates: list[tuple[int, date]] = []
    for match in _ISO.finditer(text):
        if found := _make(int(match["year"]), int(match["mnum"]), int(match["day"])):
            candidates.append((match.start(), found))
    for match in _NUMERIC.finditer(text):
        a, b, year = int(match["a"]), int(match["b"]), int(match["year"])
        month, day = (a, b) if a <= 12 else (b, a)
        if found := _make(year, month, day):
            candidates.append((match.start(), found))
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        for match in pattern.finditer(text):
            month = MONTHS[match["month"].lower()]
            if found := _make(int(match["year"]), month, int(match["day"])):
                candidates.append((match.start(), found))
    return min(candidates)[1] if candidates else None


def parse_iso_date(value: str) -> date:
    """Parse a strict `YYYY-MM-DD` (as given on the command line); ValueError otherwise."""
    return datetime.strptime(value, "%Y-%m-%d").date()
