"""What kind of thing a question asks for, and whether a sentence names one.

"Who is the spokesman who denied ...?" is matched best by the sentence that
restates it ("A spokesman denied ..."), while the name it asks for sits in a
sentence of its own ('"...," said Abdulkarim Khalaf.'). Knowing that the
question wants a person, a number, a time or a place lets context selection
keep one sentence that could hold the answer even when plain similarity ranks
it lower. Cheap surface cues, no model: a person is a capitalized name next to
a title or a speech verb, a quantity a number, a time a date word, a place a
capitalized name after "in", "at", "near" and the like. Names, numbers and
dates the question itself contains do not count.
"""

from __future__ import annotations

import re
from enum import Enum

from rag.dates import MONTHS


class AnswerKind(Enum):
    PERSON = "person"
    QUANTITY = "quantity"
    TIME = "time"
    PLACE = "place"


_ASKS = [
    (AnswerKind.QUANTITY, re.compile(
        r"\bhow (many|much|long|old|far|often)\b|\bwhat (number|percentage|share|amount)\b", re.I)),
    (AnswerKind.TIME, re.compile(
        r"^when\b|\bwhen (did|was|were|is|are|will|do|does|had|has)\b"
        r"|\b(what|which) (date|day|year|month|time)\b", re.I)),
    (AnswerKind.PLACE, re.compile(
        r"^where\b|\bwhere (did|was|were|is|are|will|do|does|had|has)\b"
        r"|\b(what|which) (city|country|place|venue|state|town|region)\b", re.I)),
    (AnswerKind.PERSON, re.compile(
        r"^who\b|\bwho (is|was|were|are|said|did|has|had|will)\b|^whom\b"
        r"|\b(what|which) (person|individual|official|player|leader|spokesman|spokeswoman)\b",
        re.I)),
]

_WORD = r"[A-Z][\w'’.-]*[a-z][\w'’-]*"  # capitalized, with a lower-case letter: not "US"
_NAME = rf"{_WORD}(?:\s+(?:al-|bin\s+|de\s+|van\s+)?{_WORD})*"
_TITLES = ("President|Secretary|Minister|Gen\\.|General|Col\\.|Sen\\.|Senator|Rep\\.|Dr\\.|Mr\\.|"
           "Mrs\\.|Ms\\.|Prime Minister|Chancellor|Governor|Gov\\.|Mayor|Judge|Justice|coach|"
           "spokesman|spokeswoman|spokesperson|chief|CEO|founder|director|Adm\\.|Lt\\.|Sgt\\.|"
           "president|minister|secretary|senator|governor|mayor|nominee|candidate|leader|"
           "star|actor|actress|singer|player|quarterback|QB|author|writer|winner|champion")
# A full name doing something: "Joe Biden wins ...", "Asher Angel will play ...".
_FULL_NAME = rf"(?<!The )(?<!the )(?!The\b){_WORD}\s+{_WORD}(?:\s+{_WORD})?"
_DOES = ("wins|won|will|has|had|was|is|beat|beats|defeated|defeats|plays|played|directed|"
         "leads|led|became|becomes|announced|received|took|takes")
_PERSON = [
    re.compile(rf"\b(?:said|says|told|added|wrote|according to)\s+(?P<name>{_NAME})"),
    re.compile(rf"(?P<name>{_NAME}),?\s+(?:said|says|told|added|wrote)\b"),
    re.compile(rf"\b(?:{_TITLES})\s+(?P<name>{_NAME})"),
    re.compile(rf"\b(?P<name>{_FULL_NAME})\s+(?:{_DOES})\b"),
]
_PLACE = re.compile(rf"\b(?:in|at|near|outside|from|inside|to)\s+(?:the\s+)?(?P<name>{_NAME})")
_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"dozens?|hundreds?|thousands?|millions?|billions?|half)\b", re.I)
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_TIME_WORDS = re.compile(
    r"\b(?:" + "|".join([*MONTHS, *_WEEKDAYS]) + r")\b\.?|\b(?:19|20)\d\d\b"
    r"|\b(?:yesterday|today|tonight|last (?:week|month|year)|earlier this (?:week|month|year))\b",
    re.I)
_MONTH_DAY = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\.?\s+\d{1,2}\b", re.I)  # "Jan. 8"
_NOT_NAMES = {w.capitalize() for w in [*MONTHS, *_WEEKDAYS]} | set(
    "The A An This That These Those He She It They We I You His Her Its Their But And Or".split())


def asked_kind(question: str) -> AnswerKind | None:
    """The kind of answer `question` asks for, or None when it is not plain (yes/no, why...)."""
    text = question.strip()
    for kind, pattern in _ASKS:
        if pattern.search(text):
            return kind
    return None


def names_kind(kind: AnswerKind, sentence: str, question: str) -> bool:
    """Whether `sentence` names a `kind` of thing that `question` does not already name."""
    asked = set(re.findall(r"[\w'’-]+", question.lower()))

    def new(text: str) -> bool:
        words = [w for w in re.findall(r"[\w'’-]+", text) if w not in _NOT_NAMES]
        return bool(words) and any(w.lower() not in asked for w in words)

    if kind is AnswerKind.PERSON:
        return any(new(m["name"]) for pattern in _PERSON for m in pattern.finditer(sentence))
    if kind is AnswerKind.PLACE:
        return any(new(m["name"]) for m in _PLACE.finditer(sentence))
    if kind is AnswerKind.QUANTITY:
        undated = _TIME_WORDS.sub(" ", _MONTH_DAY.sub(" ", sentence))
        return any(m[0].lower().strip(".,") not in asked for m in _NUMBER.finditer(undated))
    return any(m[0].lower().rstrip(".") not in asked for m in _TIME_WORDS.finditer(sentence))


# "What were the names of the troops wounded?": a name is asked for, as with "who".
_NAMES_ASKED = re.compile(r"\bnames?\s+of\b", re.I)
_HOW_MANY = re.compile(r"\bhow many\b", re.I)
_NONE = re.compile(r"\b(?:no|none|zero|nothing|neither|nobody|no one)\b", re.I)


def fits_kind(answer: str, question: str) -> bool:
    """Whether a short answer has, on its surface, the shape of what `question` asks for:
    a person or a name is not a count ("Who was wounded?" is not answered by "50
    American troops"), and a "how many" answer is a number or a word for none."""
    kind = asked_kind(question)
    if kind is AnswerKind.PERSON or (kind is None and _NAMES_ASKED.search(question)):
        return not _NUMBER.match(answer.strip())
    if _HOW_MANY.search(question):
        return bool(_NUMBER.search(answer) or _NONE.search(answer))
    return True
