"""Local GGUF models through llama-cpp-python."""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import threading
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import BackendUnavailableError, ConfigError
from rag.llm.base import LLM, Message, Schema, Usage

log = logging.getLogger(__name__)

# Saved prompt states kept for prefix reuse: the draft's and the verdict's, and one spare.
PREFIX_STATES = 3
# Tokens evaluated per batch. Every saved state carries a copy of the logits buffer, which
# holds one row of the 152k-token vocabulary per batch position: 311 MB at 512, 39 MB at
# 64. Prompt reading is as fast at 64 (35-42 tokens/s on two cores at 16 to 512), while
# saving and restoring the larger states cost seconds per call: on three MultiHop
# questions 512 took 42.8 s where 64 took 17.2 s for the same answer.
BATCH = 64
# Prompts sharing this many leading tokens share a system prompt (the chat template's
# header alone is 3 tokens; the shortest system prompt here is over 100).
SAME_KIND = 32


class LlamaCppLLM(LLM):
    """A GGUF chat model, loaded once per process on first use. Calls are serialized."""

    def __init__(self, resolve_path: Callable[[], Path], name: str, n_ctx: int,
                 n_threads: int) -> None:
        self.resolve_path = resolve_path
        self.name = name
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._llama: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"llama-cpp:{self.name}"

    def check(self) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise BackendUnavailableError(
                "llama-cpp-python is not installed: pip install llama-cpp-python==0.3.36")
        path = self.resolve_path()
        if not path.is_file():
            raise ConfigError(f"no GGUF model at {path} (RAG_LLM_MODEL_PATH)")

    def _load(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama

                from rag.llm.shortlist import shortlisting
            except ImportError:
                raise BackendUnavailableError(
                    "llama-cpp-python is not installed: pip install llama-cpp-python==0.3.36"
                ) from None
            path = self.resolve_path()
            if not path.is_file():
                raise ConfigError(f"no GGUF model at {path} (RAG_LLM_MODEL_PATH)")
            self._llama = shortlisting(Llama)(
                model_path=str(path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                n_threads_batch=self.n_threads, n_batch=BATCH, verbose=False, seed=0)
            # An answer alternates prompts (draft, then verdicts) that share nothing at
            # their start, so the one live sequence's prefix reuse would be lost on every
            # call; saved states keyed by prompt prefix keep each prompt's system part
            # evaluated (seeds answers: median 11.8 s -> 6.0 s).
            self._llama.set_cache(_BoundedStateCache(PREFIX_STATES))
            if missing := missing_cpu_features(_cpu_flags(), _library_features()):
                log.warning("llama-cpp-python was built without %s, which this CPU has: "
                            "`make llama-native` builds it for this CPU (prompts read 1.5x "
                            "faster with AVX-512 on the reference machine)",
                            ", ".join(missing))
        return self._llama

    def choose(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        """The next-token distribution after the prompt, summed over each option's spellings
        ("yes", "Yes", " yes"): one forward pass over what the cache does not hold."""
        from llama_cpp import LogitsProcessorList

        seen: list[np.ndarray] = []

        def capture(_ids: Any, scores: np.ndarray) -> np.ndarray:
            if not seen:
                seen.append(np.array(scores, dtype=np.float64))
            return scores

        with self._lock:
            llama = self._load()
            llama.create_chat_completion(messages=messages, max_tokens=1, temperature=0.0,
                                         top_k=1, seed=0,
                                         logits_processor=LogitsProcessorList([capture]))
            first_tokens = {option: {llama.tokenize(form.encode(), add_bos=False)[0]
                                     for form in (option, option.capitalize(), f" {option}",
                                                  f" {option.capitalize()}")}
                            for option in options}
        logits = seen[0]
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        return {option: float(sum(probabilities[i] for i in ids))
                for option, ids in first_tokens.items()}

    def _stream(self, messages: list[Message], max_tokens: int, schema: Schema | None = None
                ) -> Generator[str, None, Usage]:
        with self._lock:
            llama = self._load()
            # A schema becomes a GBNF grammar: the model cannot write anything else.
            grammar = _grammar(schema) if schema else None
            completion_tokens = 0
            for chunk in llama.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=0.0, top_k=1,
                    repeat_penalty=1.0, stream=True, seed=0, grammar=grammar):
                delta = chunk["choices"][0]["delta"].get("content")
                if delta:
                    completion_tokens += 1
                    yield delta
            # n_tokens counts what the context holds now: the prompt plus the reply.
            return Usage(max(llama.n_tokens - completion_tokens, 0), completion_tokens)


# llama-cpp-python's JSON-schema converter lets a string hold any character but a quote or
# a backslash, raw line breaks included, which JSON does not allow. A model that closes a
# string with a curly quote (”) then writes the closing brackets and line breaks inside it
# until its token budget runs out, and the reply is not JSON. llama.cpp's own converter
# (the one its server uses) excludes control characters, as here; braces are excluded too,
# so a model that meant to close the string writes the quote that does (seen on ELOQ).
LENIENT_CHAR = r'[^"\\]'
JSON_CHAR = r'[^"\\\x7F\x00-\x1F{}]'


def json_grammar(schema: Schema) -> str:
    """The GBNF grammar of the JSON values `schema` allows, strings free of control
    characters and braces."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    text = json_schema_to_gbnf(json.dumps(schema))
    return re.sub(rf"^char ::= {re.escape(LENIENT_CHAR)}", lambda _: f"char ::= {JSON_CHAR}",
                  text, flags=re.M)


def _grammar(schema: Schema) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(json_grammar(schema), verbose=False)


def _BoundedStateCache(states: int) -> Any:  # noqa: N802 - a class made on first use
    """llama-cpp's RAM state cache, holding at most `states` saved states, one per kind of
    prompt where it can.

    Its own byte limit counts the model state only, not the copy of the logits
    buffer each saved state carries (`BATCH` rows of the vocabulary), so bounded by
    bytes it grew until the process was killed (24 GB on the verifier benchmark).

    A new state replaces the saved one it shares a system prompt with (a verdict's state
    replaces the verdict's before it), and only a prompt of a new kind evicts the least
    recently used. Evicting by age alone, a summary's three verdicts pushed out the summary prompt's
    state, so every next summary read its system prompt again.
    """
    from llama_cpp import Llama, LlamaRAMCache

    class BoundedStateCache(LlamaRAMCache):
        def __setitem__(self, key: Any, value: Any) -> None:
            key = tuple(key)
            super().__setitem__(key, value)
            if len(self.cache_state) <= states:
                return
            shared, kin = max(((Llama.longest_token_prefix(k, key), k)
                               for k in self.cache_state if k != key), key=lambda p: p[0])
            if shared >= SAME_KIND:
                del self.cache_state[kin]
            else:
                self.cache_state.popitem(last=False)

    return BoundedStateCache(capacity_bytes=1 << 40)


# CPU flags (/proc/cpuinfo) and how llama.cpp's system info names the same instructions.
SIMD_FEATURES = {"avx2": "AVX2", "avx512f": "AVX512", "avx512_vnni": "AVX512_VNNI",
                 "avx_vnni": "AVX_VNNI"}


def missing_cpu_features(cpu_flags: set[str], library_features: str) -> list[str]:
    """The instruction sets the CPU has that the loaded llama.cpp was not built for."""
    built = {part.split("=")[0].split()[-1] for part in library_features.split("|")
             if part.strip().endswith("= 1")}
    return [name for flag, name in SIMD_FEATURES.items()
            if flag in cpu_flags and name not in built]


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def _library_features() -> str:
    from llama_cpp import llama_print_system_info

    return llama_print_system_info().decode(errors="replace")
