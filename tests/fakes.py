"""A scripted chat model for unit tests: it answers by what it is asked for.

Asked for a draft (a JSON schema with `sources`), it replies with the draft it was
given; asked for a verdict (a yes/no enum), with the verdict it was given; asked
whether two passages are about the same thing, with `subject`. Every
call is recorded, so a test can check what the model was shown and how often.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.llm.base import LLM, Message, Schema, Usage


@dataclass
class Call:
    messages: list[Message]
    schema: Schema | None

    @property
    def prompt(self) -> str:
        return self.messages[-1]["content"]

    @property
    def is_verdict(self) -> bool:
        return self.schema is not None and self.schema.get("enum") == ["yes", "no"]


@dataclass
class ScriptedLLM(LLM):
    """`draft` is the JSON value (or raw text) a draft request gets, or a function of the
    prompt that returns one; `verdict` is "yes" or "no", or the model's p(yes) as a
    number, or a function of the prompt returning either.
    A draft given as one answer (`{"sources": ..., "answer": ...}`) is sent as the
    only item of `answers`; a draft function that looks for a passage the prompt does not
    hold (`passage_saying`) gets a reply with no answers."""

    draft: Any = field(default_factory=lambda: {"sources": [1], "answer": "yes"})
    verdict: Any = "yes"
    subject: str = "same"  # two passages giving different answers: "same" or "different"
    calls: list[Call] = field(default_factory=list)

    @property
    def model_id(self) -> str:
        return "scripted"

    @property
    def verdicts(self) -> list[Call]:
        return [c for c in self.calls if c.is_verdict]

    @property
    def drafts(self) -> list[Call]:
        return [c for c in self.calls if not c.is_verdict and "enum" not in (c.schema or {})]

    def choose(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        if list(options) == ["yes", "no"]:
            verdict = self.verdict(messages[-1]["content"]) if callable(self.verdict) \
                else self.verdict
            if isinstance(verdict, float):
                self.calls.append(Call(messages, {"type": "string", "enum": ["yes", "no"]}))
                return {"yes": verdict, "no": 1.0 - verdict}
        return super().choose(messages, options)

    def _stream(self, messages: list[Message], max_tokens: int, schema: Schema | None = None
                ) -> Generator[str, None, Usage]:
        call = Call(messages, schema)
        self.calls.append(call)
        if schema is not None and schema.get("enum") == ["same", "different"]:
            reply = json.dumps(self.subject)
        elif call.is_verdict:
            verdict = self.verdict(call.prompt) if callable(self.verdict) else self.verdict
            reply = json.dumps(verdict)
        else:
            try:
                draft = self.draft(call.prompt) if callable(self.draft) else self.draft
            except NoSuchPassage:  # asked over passages the script has no answer in
                draft = {"answers": []}
            if isinstance(draft, str) and "sentences" in (schema or {}).get("properties", {}) \
                    and not draft.startswith("{"):  # a raw reply stays as it is
                draft = summary_of(draft)
            if isinstance(draft, dict) and "answers" not in draft and "sentences" not in draft:
                draft = {"answers": [draft]}
            reply = draft if isinstance(draft, str) else json.dumps(draft)
        yield reply
        return Usage(len(call.prompt) // 4, 1)


def summary_of(text: str) -> dict[str, Any]:
    """A summary written with markers ("It rose [1]. It fell [2][3].") as the structure a
    summary request gets: each sentence with the numbers it cites."""
    sentences = [part for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part]
    return {"sentences": [{"sources": [int(n) for n in re.findall(r"\[(\d+)\]", part)],
                           "text": re.sub(r"\s*\[\d+\]", "", part)} for part in sentences]}


class NoSuchPassage(LookupError):
    pass


def passage_saying(prompt: str, words: str) -> int:
    """The number of the passage in a draft prompt whose line contains `words`."""
    for line in prompt.splitlines():
        if (match := re.match(r"\[(\d+)\] (.*)", line)) and words in match.group(2):
            return int(match.group(1))
    raise NoSuchPassage(f"no passage saying {words!r} in:\n{prompt}")
