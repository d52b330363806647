"""Page furniture: the lines around a news article that are not the article.

Each rule is conservative on purpose: dropping a line of the article's own
text is worse than keeping a share button. Lines that can only be judged by
position (headline lists, copyright footers) are only dropped in the tail of
the page, after the last line of the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ADVERTISEMENT = "advertisement"
SHARE_WIDGET = "share widget"
PICTURE = "picture placeholder"
HEADLINE_LIST = "headline list"
COPYRIGHT = "copyright footer"

_LINE_RULES: list[tuple[str, re.Pattern[str]]] = [
    (ADVERTISEMENT, re.compile(r"^(advertisement|sponsored content|ad)\b.{0,60}$", re.I)),
    (SHARE_WIDGET, re.compile(
        r"^(share|share this( article| story| page)?|tweet|email|print|comments?|مشاركة)\s*:?$"
        r"|^share all sharing options for:"
        r"|^share (on|via|to) (facebook|twitter|x|linkedin|whatsapp|email|reddit)\b.{0,40}$"
        r"|^[•·]\s*\d[\d.,]*[kKmM]?$",
        re.I,
    )),
    (PICTURE, re.compile(
        r"^(news-)?(picture|image|photo|img)s?$|^\[(image|photo|picture|video)[^\]]*\]$", re.I
    )),
]

_COPYRIGHT = re.compile(
    r"^(©|\(c\)\s*\d{4}|copyright\b.*(\d{4}|©|rights|agence|press|ltd|inc))|all rights reserved",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


@dataclass(frozen=True)
class Line:
    """One line of a document: `text[start:end]` without its line break."""

    start: int
    end: int
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip()

    @property
    def blank(self) -> bool:
        return not self.stripped


def split_lines(text: str) -> list[Line]:
    """Split `text` into lines that keep their character offsets."""
    lines = []
    for match in re.finditer(r"[^\n]*\n|[^\n]+$", text):
        start, end = match.start(), match.end()
        while end > start and text[end - 1] in "\r\n":
            end -= 1
        lines.append(Line(start, end, text[start:end]))
    return lines


def classify_line(line: str) -> str | None:
    """Return the furniture kind of a line that is furniture wherever it stands, else None."""
    stripped = line.strip()
    if not stripped or len(stripped) > 160:
        return None
    for kind, pattern in _LINE_RULES:
        if pattern.search(stripped):
            return kind
    if stripped.startswith("©"):
        return COPYRIGHT
    return None


def is_prose(line: str) -> bool:
    """A line that reads as running text rather than a heading, label or widget."""
    stripped = line.strip()
    words = len(stripped.split())
    return len(stripped) >= 150 or (words >= 8 and bool(_SENTENCE_END.search(stripped)))


def _is_headline_group(lines: list[Line]) -> bool:
    """Three or more short, unpunctuated lines with no blank line between: a link list."""
    if len(lines) < 3:
        return False
    return all(
        15 <= len(line.stripped) <= 160
        and not _SENTENCE_END.search(line.stripped)
        and ": " not in line.stripped[:40]
        for line in lines
    )


def tail_furniture(lines: list[Line]) -> dict[int, str]:
    """Walk back from the end of the page; return {line index: kind} of trailing furniture.

    Stops at the first paragraph that is not furniture, so the article's last
    paragraph and everything before it is never touched by these rules.
    """
    dropped: dict[int, str] = {}
    index = len(lines) - 1
    while index >= 0:
        if lines[index].blank:
            index -= 1
            continue
        first = index
        while first > 0 and not lines[first - 1].blank:
            first -= 1
        group = lines[first : index + 1]
        kinds = [_tail_kind(line) for line in group]
        if all(kinds):
            dropped.update({first + offset: kind for offset, kind in enumerate(kinds)})
        elif _is_headline_group(group):
            dropped.update({position: HEADLINE_LIST for position in range(first, index + 1)})
        else:
            break
        index = first - 1
    return dropped


def _tail_kind(line: Line) -> str | None:
    if kind := classify_line(line.text):
        return kind
    if _COPYRIGHT.search(line.stripped):
        return COPYRIGHT
    return None
