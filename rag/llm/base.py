"""The one interface every chat model backend implements."""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

from rag.errors import MalformedReplyError

Message = dict[str, str]
Schema = dict[str, Any]


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    first_token_ms: float
    total_ms: float


class LLM(ABC):
    """A chat model. Subclasses implement `model_id` and `_stream`; timing and JSON
    decoding live here.

    Constructors only store configuration; the model is loaded, or the server
    contacted, on the first call. Given a JSON schema, a backend constrains the
    reply to it at decoding time where it can (a grammar, a server's
    `response_format`) and otherwise asks for it in words; `complete_json`
    decodes the reply either way, so callers see one contract.
    """

    @property
    @abstractmethod
    def model_id(self) -> str:
        """A short name for reports, e.g. `llama-cpp:qwen2.5-coder-1.5b-instruct-q4_k_m`."""

    @abstractmethod
    def _stream(self, messages: list[Message], max_tokens: int, schema: Schema | None = None
                ) -> Generator[str, None, Usage]:
        """Yield the reply's text as it is generated; return the token usage.

        With `schema`, the reply is a JSON value that should satisfy it.
        """

    def check(self) -> None:
        """Raise a RagError unless the model can be used (files present, server up).

        Cheaper than a completion: nothing is generated, and nothing is loaded
        that a first completion would not load anyway. The default: nothing to check.
        """
        return None

    def complete_json(self, messages: list[Message], schema: Schema, max_tokens: int
                      ) -> tuple[Any, Completion]:
        """A reply constrained to `schema`, decoded: (value, completion).

        Raises MalformedReplyError when the reply holds no JSON value (a backend
        that could not constrain its model, and a model that did not comply).
        Checking the value against the schema is the caller's: it owns the type.
        """
        completion = self.complete(messages, max_tokens, schema=schema)
        return decode_json(completion.text), completion

    def choose(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        """How likely the reply is each of `options` (single words): probability per option.

        One decision, one or two tokens: the default constrains the reply to the
        options and gives the one chosen probability 1. Backends that can read the
        model's next-token distribution return it instead, so a caller can ask for
        more confidence than "more likely than not".
        """
        value, _ = self.complete_json(messages, {"type": "string", "enum": list(options)}, 4)
        return {option: float(option == value) for option in options}

    def complete(self, messages: list[Message], max_tokens: int,
                 on_token: Callable[[str], None] | None = None,
                 schema: Schema | None = None) -> Completion:
        """Generate a reply (greedy, deterministic), calling `on_token` for each piece."""
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        stream = self._stream(messages, max_tokens, schema)
        try:
            while True:
                try:
                    piece = next(stream)
                except StopIteration as stop:
                    usage: Usage = stop.value
                    break
                if first is None:
                    first = time.perf_counter()
                pieces.append(piece)
                if on_token is not None:
                    on_token(piece)  # may raise to stop generation (a client went away)
        finally:
            stream.close()
        ended = time.perf_counter()
        return Completion(
            text="".join(pieces), prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            first_token_ms=((first or ended) - started) * 1000, total_ms=(ended - started) * 1000)


def decode_json(text: str) -> Any:
    """The JSON value in a reply: the whole text, else its outermost {...} (a model that
    was only asked, not constrained, may wrap it in prose or a code fence)."""
    text = text.strip()
    for candidate in (text, text[text.find("{") : text.rfind("}") + 1]):
        if not candidate:
            continue
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    raise MalformedReplyError(f"the model's reply is not the JSON asked for: {text[:200]!r}")
