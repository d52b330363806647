"""The one interface every chat model backend implements."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator
from dataclasses import dataclass

Message = dict[str, str]


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
    """A chat model. Subclasses implement `model_id` and `_stream`; timing lives here.

    Constructors only store configuration; the model is loaded, or the server
    contacted, on the first call.
    """

    @property
    @abstractmethod
    def model_id(self) -> str:
        """A short name for reports, e.g. `llama-cpp:qwen2.5-coder-1.5b-instruct-q4_k_m`."""

    @abstractmethod
    def _stream(self, messages: list[Message], max_tokens: int
                ) -> Generator[str, None, Usage]:
        """Yield the reply's text as it is generated; return the token usage."""

    def check(self) -> None:
        """Raise a RagError unless the model can be used (files present, server up).

        Cheaper than a completion: nothing is generated, and nothing is loaded
        that a first completion would not load anyway. The default: nothing to check.
        """
        return None

    def complete(self, messages: list[Message], max_tokens: int,
                 on_token: Callable[[str], None] | None = None) -> Completion:
        """Generate a reply (greedy, deterministic), calling `on_token` for each piece."""
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        stream = self._stream(messages, max_tokens)
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
