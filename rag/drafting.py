"""What the model writes for an answer: the passages it rests on, then a short answer.

The model fills a JSON structure, constrained at decoding time, instead of
free text that is parsed afterwards:
`{"answers": [{"sources": [2, 5], "answer": "yes"}]}`. When the passages give
different answers (two death tolls, two winners, yes in one report and no in
another) it lists each with its own passages, in the same pass.
Passage numbers come first, so the answer is written with its evidence
already chosen, and they can only be numbers the model was shown. A yes/no
question gets `yes` or `no` and nothing else; any other question a short
phrase (a name, a number, a date) or, when the question asks for one, a
sentence. The answer text and its citations are composed from this, so a
`[n]` marker can never stand in for the answer, and what the model writes
stays short (it writes 15-17 tokens/s on two cores).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rag.context import Passage, group_by_source
from rag.errors import MalformedReplyError
from rag.llm import LLM
from rag.llm.base import Completion, Schema
from rag.prompting import render

MAX_SOURCES = 4
# Distinct answers the model may list when passages disagree.
MAX_ANSWERS = 3
# Auxiliaries a yes/no question starts with ("Did ...?", "Has ...?", "Is it true ...?").
# A lead-in before the auxiliary ("According to Khalaf, did ...?") does not change that.
_YES_NO = re.compile(r"^(?:(?!(?:who|whom|whose|what|which|when|where|why|how)\b)[^,?]{1,80},"
                     r"\s*)?(?:is|are|was|were|do|does|did|has|have|had|can|"
                     r"could|will|would|should|shall|may|might|must)\b", re.I)
_OR_NOT = re.compile(r"\bor not\b", re.I)
# "..., consistent or inconsistent?", "..., or has there been a change?": the last clause
# offers alternatives, so the answer is one of them, not yes or no.
_ALTERNATIVES = re.compile(r"\bor\b(?![^,;]*[,;])[^?]*\?\s*$", re.I)


# "... a successful or unsuccessful field goal ...?", "... consistent or inconsistent?": a
# word and its negation offered as the answer.
_CHOICE = re.compile(r"\b([a-z]+)\s+or\s+((?:un|in|im|il|ir|dis|non-?)([a-z]+))\b", re.I)


def _choice(question: str) -> re.Match[str] | None:
    """Where the question offers a word and its negation, if it does."""
    return next((m for m in _CHOICE.finditer(question) if m[1].lower() == m[3].lower()), None)


def offered_choices(question: str) -> tuple[str, ...]:
    """The two answers a question offers as a word and its negation ("successful or
    unsuccessful" -> ("successful", "unsuccessful")), or () when it offers none."""
    m = _choice(question)
    return (m[1].lower(), m[2].lower()) if m else ()


def with_first_choice(question: str) -> str:
    """The question asked of the first of its offered choices: "Was it consistent or
    inconsistent?" -> "Was it consistent?", so "yes" picks the first and "no" the second."""
    m = _choice(question)
    return f"{question[:m.start()]}{m[1]}{question[m.end():]}" if m else question


def is_yes_no(question: str) -> bool:
    """Whether `question` is answered by yes or no ("Did X report ... ?"), rather than by
    one of the alternatives it offers ("Was the portrayal consistent or inconsistent?")."""
    text = question.strip()
    if _OR_NOT.search(text):
        return True
    return bool(_YES_NO.match(text)) and not _ALTERNATIVES.search(text)


@dataclass(frozen=True)
class Value:
    """Another answer some passages give: `answer`, stated by the passages `sources`."""

    answer: str
    sources: tuple[int, ...]


@dataclass(frozen=True)
class Draft:
    """An answer resting on the passages numbered `sources`.

    `form` says how to read `answer`: `yes_no` ("yes" or "no"), `short` (a name,
    number, date or phrase), or `quotes` (no model: the cited sentences are the
    answer, and `answer` is empty). `others` are the different answers other
    passages give, as the model read them (unchecked).
    """

    answer: str
    sources: tuple[int, ...]
    form: Literal["yes_no", "short", "quotes"]
    others: tuple[Value, ...] = ()


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[int] = Field(min_length=1)
    answer: str = Field(min_length=1)


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: list[_Answer] = Field(min_length=1)


def draft_schema(numbers: list[int], yes_no: bool, choices: Sequence[str] = ()) -> Schema:
    """The JSON schema of a draft over passages `numbers`: the answer is yes or no, one of
    `choices` when the question offers them, else a short text."""
    enum = ["yes", "no"] if yes_no else list(choices)
    answer: dict[str, Any] = ({"type": "string", "enum": enum} if enum
                              else {"type": "string", "minLength": 1})
    one = {
        "type": "object",
        "properties": {
            "sources": {"type": "array", "items": {"type": "integer", "enum": numbers},
                        "minItems": 1, "maxItems": min(MAX_SOURCES, len(numbers))},
            "answer": answer,
        },
        "required": ["sources", "answer"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"answers": {"type": "array", "items": one, "minItems": 1,
                                   "maxItems": 2 if yes_no else MAX_ANSWERS}},
        "required": ["answers"],
        "additionalProperties": False,
    }


def draft_messages(question: str, passages: list[Passage], yes_no: bool,
                   choices: Sequence[str] = ()) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": render("answer_system")},
        {"role": "user", "content": render("answer_user", groups=group_by_source(passages),
                                           question=question, yes_no=yes_no,
                                           choices=choices)},
    ]


def write_draft(llm: LLM, question: str, passages: list[Passage], max_tokens: int
                ) -> tuple[Draft | None, Completion | None]:
    """The model's draft, or None when its reply does not fit the structure.

    A reply can miss it only on a backend that could not constrain the model
    (asked in words) or when it ran out of tokens; that is a refusal, not an error.
    """
    yes_no = is_yes_no(question)
    choices = () if yes_no else offered_choices(question)
    numbers = [p.n for p in passages]
    messages = draft_messages(question, passages, yes_no, choices)
    try:
        value, completion = llm.complete_json(messages, draft_schema(numbers, yes_no, choices),
                                              max_tokens)
        reply = _Reply.model_validate(value)
    except (MalformedReplyError, ValidationError):
        return None, None
    values: list[Value] = []
    for item in reply.answers:
        sources = tuple(dict.fromkeys(n for n in item.sources if n in numbers))
        answer = item.answer.strip().lower() if yes_no else item.answer.strip()
        if yes_no and answer not in ("yes", "no"):
            return None, completion
        if sources and answer and answer not in (v.answer for v in values):
            values.append(Value(answer, sources))
    if not values:
        return None, completion
    first, *others = values
    return Draft(first.answer, first.sources, "yes_no" if yes_no else "short",
                 tuple(others)), completion
