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
from rag.verify import numbers

Shape = Literal["date", "year", "amount", "name", "words"]

_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_Y = r"(?:1[0-9]|20)\d\d"
_DATE = re.compile(rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_Y}"
                   rf"|\d{{1,2}}\s+{_MONTH},?\s+{_Y}|{_MONTH},?\s+{_Y})\b", re.I)
_YEAR = re.compile(rf"\b{_Y}\b")
# A number with its currency, scale or unit ("$1.65 billion", "40%", "3,292 people").
_SCALE = r"(?i:%|(?:percent|per cent|thousand|million|billion|trillion|bn|m)\b)"
_UNIT = r"(?!(?:in|on|at|and|or|of|to|the|a|an)\b)[a-z]+\b"
_AMOUNT = re.compile(rf"[$€£]?\d[\d,.]*(?:\s*{_SCALE}|\s+{_UNIT})?")
_UNIT_AT_END = re.compile(rf"\s+{_UNIT}$")
# A run of capitalized words, with the small words names carry inside ("Bank of England"),
# and a place's region after a comma ("Aguadilla, Puerto Rico").
_WORDS = (r"[A-Z][\w'’.-]*(?:\s+(?:(?:of|the|de|van|von|da|al|bin|and)\s+)?"
          r"[A-Z][\w'’.-]*)*")
_NAME = re.compile(rf"\b{_WORDS}(?:,\s+{_WORDS})?")
_NUMBER = re.compile(r"\d[\d,.]*")
# A plain answer of one to three words ("golf", "American football", "TV series").
_PLAIN = re.compile(r"[A-Za-z][a-z-]*(?:\s+[A-Za-z][a-z-]*){0,2}|[A-Z]{2,}(?:\s+[a-z]+){0,2}")
_WORD = re.compile(r"[A-Za-z][\w-]*")
# Share of the question's terms a passage must hold to be about the question.
MIN_QUESTION_TERMS = 0.5
# Words on each side of a value that say what slot it fills, and the fit a rival needs
# (one of the answer's neighbours, or two of the question's words); a plain word, which
# could be any word, needs two of the answer's neighbours.
NEIGHBOURS = 4
MIN_FIT = 2
MIN_FIT_WORDS = 4


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
    if _PLAIN.fullmatch(text):
        return "words"
    return None


def same_value(a: str, b: str) -> bool:
    """Whether two answers say the same thing: equal once normalized, the same date
    ("Dec 1, 2017" and "1 December 2017"), one holding the other's words ("Biden" and
    "Joe Biden"), or the same numbers ("3,292" and "3292 people"). Generous on
    purpose: a missed disagreement costs less than a false alarm."""
    date_a, date_b = find_date(a), find_date(b)
    if date_a and date_b:
        return date_a == date_b
    numbers_a, numbers_b = numbers(a), numbers(b)
    if numbers_a and numbers_b and not (numbers_a <= numbers_b or numbers_b <= numbers_a):
        return False
    words_a, words_b = set(terms(a)) | numbers_a, set(terms(b)) | numbers_b
    if not words_a or not words_b:
        return a.strip().lower() == b.strip().lower()
    return words_a <= words_b or words_b <= words_a


def comparable(a: str, b: str) -> bool:
    """Whether two answers could be two values of one thing: both hold a number (a
    count, a year, a date) or neither does. "New York City" is not another birth date
    beside "January 10, 1901", whatever article gives it."""
    return bool(numbers(a)) == bool(numbers(b))


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
    stating = stating or []
    slot = _neighbours(answer, stating)
    if shape == "name" and " " not in answer.strip() and any(
            re.search(rf"\b{re.escape(answer.strip().lower())}\b", t) for t in stating):
        shape = "words"  # "Tennis" answering from "... is a tennis tournament"
    needed = MIN_FIT_WORDS if shape == "words" else MIN_FIT
    found: list[Rival] = []
    for passage in sorted(passages, key=lambda p: -p.relevance):
        if passage.n in exclude or _states(passage.text, answer, asked):
            continue
        if not is_about(question, passage.text):
            continue
        values = [v for v in _values(shape, passage.text, answer)
                  if not _in_question(v, question) and not same_value(v, answer)]
        scored = [(_fit(v, passage.text, slot, asked if shape != "words" else set()), v)
                  for v in values]
        best = max(scored, default=(0, ""))
        if best[0] < needed:
            continue
        value = best[1]
        if any(same_value(value, r.value) for r in found):
            continue
        found.append(Rival(value, passage))
        if len(found) == limit:
            break
    return found


def counterparts(answer: str, stating: list[str], passages: list[Passage], exclude: set[int],
                 limit: int = 2) -> list[Rival]:
    """Values that other passages give in the very statement that states the answer
    (`restates`): the same sentence with another figure, date or name in its place, as in
    a wire story updated or copied with one fact changed. Looked for before `rivals`,
    which judge a value by the few words around it and so may settle on a passage that
    only mentions the topic while its counterpart, further down, says the same thing
    with another value."""
    shape = shape_of(answer)
    if shape is None or not stating:
        return []
    found: list[Rival] = []
    for passage in sorted(passages, key=lambda p: -p.relevance):
        if passage.n in exclude:
            continue
        value = next((v for v in _values(shape, passage.text, answer)
                      if not same_value(v, answer)
                      and any(restates(text, answer, passage.text, v) for text in stating)),
                     None)
        if value is None or any(same_value(value, r.value) for r in found):
            continue
        found.append(Rival(value, passage))
        if len(found) == limit:
            break
    return found


def is_about(question: str, text: str) -> bool:
    """Whether `text` is about the question: it holds `MIN_QUESTION_TERMS` of its terms."""
    asked = set(terms(question))
    return bool(asked) and len(asked & set(terms(text))) / len(asked) >= MIN_QUESTION_TERMS


def _states(text: str, answer: str, asked: set[str]) -> bool:
    """Whether `text` holds the answer: its numbers, or its words beyond the question's."""
    stated = numbers(answer)
    if stated:
        return stated <= numbers(text)
    new = set(terms(answer)) - asked
    return bool(new) and new <= set(terms(text))


def _in_question(value: str, question: str) -> bool:
    return bool(set(terms(value))) and set(terms(value)) <= set(terms(question)) or \
        bool(numbers(value)) and numbers(value) <= numbers(question)


def _values(shape: Shape, text: str, answer: str) -> list[str]:
    """The values of `shape` in `text`, in the answer's form: an amount with a unit word
    only if the answer has one, a name cut to about the answer's length (the place a
    one-word answer fills holds "London", not "London Olympic Games")."""
    words = len(answer.split())
    if shape == "date":
        return [m.group() for m in _DATE.finditer(text)]
    if shape == "year":
        return [m.group() for m in _YEAR.finditer(text)]
    if shape == "words":
        found = [w.group() for w in _WORD.finditer(text)]
        return [" ".join(found[i:i + words]) for i in range(len(found) - words + 1)
                if all(terms(w) for w in found[i:i + words])]
    if shape == "amount":
        amounts = [m.group().rstrip(".,") for m in _AMOUNT.finditer(text)]
        if not _UNIT_AT_END.search(answer):
            amounts = [_UNIT_AT_END.sub("", a).rstrip(".,") for a in amounts]
        return [a for a in amounts if not _YEAR.fullmatch(_UNIT_AT_END.sub("", a))]
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


# Words each side of a value that make up the statement it is part of, and the share of
# their terms two statements must have in common to be the same one.
STATEMENT_WORDS = 12
SAME_STATEMENT = 0.7
MIN_STATEMENT_TERMS = 4


def restates(stating: str, answer: str, other: str, value: str) -> bool:
    """Whether `other` makes the statement `stating` makes, with `value` where `stating`
    has `answer`: the words around the two values are the same (as terms, at least
    `SAME_STATEMENT` of them, and every number). A wire story whose figure was updated,
    or a copy with one fact changed, reads so; two passages that differ this little
    differ on the value, so no model is needed to call them divided."""
    mine, theirs = _statement(answer, stating), _statement(value, other)
    if mine is None or theirs is None:
        return False
    (terms_a, numbers_a), (terms_b, numbers_b) = mine, theirs
    if numbers_a != numbers_b or min(len(terms_a), len(terms_b)) < MIN_STATEMENT_TERMS:
        return False
    return len(terms_a & terms_b) / len(terms_a | terms_b) >= SAME_STATEMENT


def _statement(value: str, text: str) -> tuple[set[str], set[str]] | None:
    """The terms and numbers of the words around `value` in `text`, the value left out."""
    around = _beside(value, text, STATEMENT_WORDS)
    if around is None:
        return None
    return set(terms(around)) - set(terms(value)), numbers(around)


def _beside(value: str, text: str, width: int) -> str | None:
    """The `width` words before and after `value` in `text`, or None when it is absent."""
    at = text.find(value)
    if at < 0:
        return None
    return " ".join(text[:at].split()[-width:] + text[at + len(value):].split()[:width])


def _around(value: str, text: str, width: int = NEIGHBOURS) -> set[str]:
    """The terms within `width` words before and after `value` in `text`."""
    return set(terms(_beside(value, text, width) or ""))


def _neighbours(answer: str, stating: list[str]) -> set[str]:
    """The terms around the answer where the passages stating it give it."""
    slot: set[str] = set()
    for text in stating:
        for value in (answer, answer.lower(), *(m.group() for m in _NUMBER.finditer(answer))):
            if value in text:
                slot |= _around(value, text)
                break
    return slot - set(terms(answer))


def _fit(value: str, text: str, slot: set[str], asked: set[str]) -> int:
    """How well `value` sits where the answer would: words it shares with the answer's
    neighbours count double, the question's words around it once."""
    around = _around(value, text)
    return 2 * len(around & slot) + len(around & asked)
