"""Answers as values: their shape, when two are the same, and rivals in other passages.

A small model reads a passage set and gives one answer; asked in the same pass
or in a follow-up turn whether other passages give a different one, the
bundled 1.5B lists none even when half the passages name another director or
another year. So the rivals are found here, without a model: a passage that
is about the question (it holds most of the question's terms), does not state
the answer, and holds a value of the answer's shape (a date, an amount, a
name) in its place. Each rival is then only a candidate: the verifier decides
whether its passage states it as the answer to the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag.context import Passage
from rag.dates import MONTHS, find_date
from rag.terms import terms

Shape = Literal["date", "year", "amount", "name"]

_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DATE = re.compile(rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d"
                   rf"|\d{{1,2}}\s+{_MONTH},?\s+(?:19|20)\d\d|{_MONTH},?\s+(?:19|20)\d\d)\b", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_AMOUNT = re.compile(r"[$€£]?\d[\d,.]*(?:\s*(?:%|(?:percent|per cent|thousand|million|billion|"
                     r"trillion|bn|m)\b))?", re.I)
# A run of capitalized words, with the small words names carry inside ("Bank of England").
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:(?:of|the|de|van|von|da|al|bin|and)\s+)?"
                   r"[A-Z][\w'’.-]*)*")
_NUMBER = re.compile(r"\d[\d,.]*")
# Share of the question's terms a passage must hold to be about the question.
MIN_QUESTION_TERMS = 0.5
# Words on each side of a value that say what slot it fills, and the fit a rival needs
# (one of the answer's neighbours, or two of the question's words).
NEIGHBOURS = 4
MIN_FIT = 2


@dataclass(frozen=True)
class Rival:
    value: str
    passage: Passage


def shape_of(answer: str) -> Shape | None:
    """What kind of value `answer` is, when it is one a passage could state differently."""
    text = answer.strip().rstrip(".")
    if _DATE.fullmatch(text):
        return "date"
    if _YEAR.fullmatch(text):
        return "year"
    if _AMOUNT.fullmatch(text):
        return "amount"
    if _NAME.fullmatch(text) and len(text) > 1:
        return "name"
    return None


def same_value(a: str, b: str) -> bool:
    """Whether two answers say the same thing: equal once normalized, the same date
    ("Dec 1, 2017" and "1 December 2017"), one holding the other's words ("Biden" and
    "Joe Biden"), or the same numbers ("3,292" and "3292 people"). Generous on
    purpose: a missed disagreement costs less than a false alarm."""
    date_a, date_b = find_date(a), find_date(b)
    if date_a and date_b:
        return date_a == date_b
    numbers_a, numbers_b = _numbers(a), _numbers(b)
    if numbers_a and numbers_b and not (numbers_a <= numbers_b or numbers_b <= numbers_a):
        return False
    words_a, words_b = set(terms(a)) | numbers_a, set(terms(b)) | numbers_b
    if not words_a or not words_b:
        return a.strip().lower() == b.strip().lower()
    return words_a <= words_b or words_b <= words_a


def rivals(answer: str, question: str, passages: list[Passage], exclude: set[int],
           stating: list[str] | None = None, limit: int = 2) -> list[Rival]:
    """Values of the answer's shape that other passages about the question give in its
    place, most relevant passage first, one per passage and no two alike.

    In its place: among a passage's values of that shape, the one whose neighbouring
    words are those around the answer in the passages `stating` it ("directed by
    ___"), or else around the question's words; a value with neither is no rival.
    """
    shape = shape_of(answer)
    asked = set(terms(question))
    if shape is None or not asked:
        return []
    slot = _neighbours(answer, stating or [])
    found: list[Rival] = []
    for passage in sorted(passages, key=lambda p: -p.relevance):
        if passage.n in exclude or _states(passage.text, answer, asked):
            continue
        held = set(terms(passage.text))
        if len(asked & held) / len(asked) < MIN_QUESTION_TERMS:
            continue
        values = [v for v in _values(shape, passage.text, len(answer.split()))
                  if not _in_question(v, question) and not same_value(v, answer)]
        scored = [(_fit(v, passage.text, slot, asked), v) for v in values]
        best = max(scored, default=(0, ""))
        if best[0] < MIN_FIT:
            continue
        value = best[1]
        if any(same_value(value, r.value) for r in found):
            continue
        found.append(Rival(value, passage))
        if len(found) == limit:
            break
    return found


def _numbers(text: str) -> set[str]:
    return {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}


def _states(text: str, answer: str, asked: set[str]) -> bool:
    """Whether `text` holds the answer: its numbers, or its words beyond the question's."""
    numbers = _numbers(answer)
    if numbers:
        return numbers <= _numbers(text)
    new = set(terms(answer)) - asked
    return bool(new) and new <= set(terms(text))


def _in_question(value: str, question: str) -> bool:
    return bool(set(terms(value))) and set(terms(value)) <= set(terms(question)) or \
        bool(_numbers(value)) and _numbers(value) <= _numbers(question)


def _values(shape: Shape, text: str, words: int) -> list[str]:
    """The values of `shape` in `text`; names cut to about the answer's `words` (the
    place a one-word answer fills holds "London", not "London Olympic Games")."""
    if shape == "date":
        return [m.group() for m in _DATE.finditer(text)]
    if shape == "year":
        return [m.group() for m in _YEAR.finditer(text)]
    if shape == "amount":
        return [m.group().rstrip(".,") for m in _AMOUNT.finditer(text)
                if not _YEAR.fullmatch(m.group().rstrip(".,"))]
    # Names: a sentence's first word is capitalized anyway, so alone it is no name, and
    # before a name of two words it is more often a title ("Director Stanley Kubrick").
    names = []
    for m in _NAME.finditer(text):
        value = m.group().rstrip(".")
        if m.start() == 0:
            first, _, rest = value.partition(" ")
            if not rest:
                continue
            if " " in rest:
                value = rest
        if len(value.split()) > words + 1:
            value = " ".join(value.split()[:words])
        if value.lower() not in MONTHS:
            names.append(value)
    return names


def _around(value: str, text: str, width: int = NEIGHBOURS) -> set[str]:
    """The terms within `width` words before and after `value` in `text`."""
    at = text.find(value)
    if at < 0:
        return set()
    before = text[:at].split()[-width:]
    after = text[at + len(value):].split()[:width]
    return set(terms(" ".join(before + after)))


def _neighbours(answer: str, stating: list[str]) -> set[str]:
    """The terms around the answer where the passages stating it give it."""
    slot: set[str] = set()
    for text in stating:
        for value in (answer, *(m.group() for m in _NUMBER.finditer(answer))):
            if value in text:
                slot |= _around(value, text)
                break
    return slot - set(terms(answer))


def _fit(value: str, text: str, slot: set[str], asked: set[str]) -> int:
    """How well `value` sits where the answer would: words it shares with the answer's
    neighbours count double, the question's words around it once."""
    around = _around(value, text)
    return 2 * len(around & slot) + len(around & asked)
