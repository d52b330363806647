"""The llama-cpp backend's parts that need no model file."""

from __future__ import annotations


def test_llama_prefix_state_cache_is_bounded_by_count() -> None:
    from types import SimpleNamespace

    from rag.llm.llama_cpp_llm import SAME_KIND, _BoundedStateCache

    draft, verdict, other = ((kind,) * SAME_KIND for kind in (1, 2, 3))
    cache = _BoundedStateCache(2)
    for key in [draft + (7,), verdict + (8,), verdict + (9,)]:
        cache[key] = SimpleNamespace(llama_state_size=1)
    # The second verdict replaced the first, not the older draft.
    assert list(cache.cache_state) == [draft + (7,), verdict + (9,)]
    assert cache[draft + (7, 5)] is cache.cache_state[draft + (7,)]  # longest shared prefix
    cache[other] = SimpleNamespace(llama_state_size=1)  # a new kind: the least recent goes
    assert list(cache.cache_state) == [draft + (7,), other]


def test_only_greedy_grammar_calls_without_penalties_use_the_shortlist() -> None:
    from rag.llm.shortlist import shortlisting

    class Chain:
        def _init_sampler(self, **kwargs: object) -> str:
            return "llama-cpp chain"

    llama = shortlisting(Chain)()
    plain = {"temp": 0.0, "repeat_penalty": 1.0, "frequency_penalty": 0.0,
             "presence_penalty": 0.0, "logits_processor": None}
    assert llama._init_sampler(**plain, grammar=None) == "llama-cpp chain"
    for changed in ({"temp": 0.8}, {"repeat_penalty": 1.1}, {"logits_processor": [print]}):
        assert llama._init_sampler(**(plain | changed), grammar="g") == "llama-cpp chain"


def test_a_library_built_without_the_cpus_simd_is_named() -> None:
    from rag.llm.llama_cpp_llm import missing_cpu_features

    cpu = {"sse3", "avx2", "avx512f", "avx512_vnni", "amx_int8"}
    portable = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | OPENMP = 1 | "
    native = ("CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 | "
              "AVX512_VNNI = 1 | OPENMP = 1 | ")
    assert missing_cpu_features(cpu, portable) == ["AVX512", "AVX512_VNNI"]
    assert missing_cpu_features(cpu, native) == []
    assert missing_cpu_features({"sse3", "avx2"}, portable) == []
    assert missing_cpu_features(cpu, portable.replace("AVX2 = 1", "AVX2 = 0")) == [
        "AVX2", "AVX512", "AVX512_VNNI"]


def test_json_grammar_strings_hold_no_line_breaks_or_braces() -> None:
    """A model that ends a string with a curly quote must not be able to write the closing
    brackets and line breaks inside it: the reply would never be JSON."""
    import re

    from llama_cpp import LlamaGrammar

    from rag.drafting import draft_schema
    from rag.llm.llama_cpp_llm import json_grammar

    grammar = json_grammar(draft_schema([1, 2], yes_no=False))
    char = next(line for line in grammar.splitlines() if line.startswith("char ::="))
    allowed = re.match(r'char ::= \[\^(.*?)\] \|', char)
    assert allowed, char
    excluded = allowed.group(1)
    assert "\\x00-\\x1F" in excluded and "{}" in excluded and '"' in excluded
    LlamaGrammar.from_string(grammar, verbose=False)  # llama.cpp parses it
