"""The llama-cpp backend's parts that need no model file."""

from __future__ import annotations


def test_llama_prefix_state_cache_is_bounded_by_count() -> None:
    from types import SimpleNamespace

    from rag.llm.llama_cpp_llm import _BoundedStateCache

    cache = _BoundedStateCache(2)
    for key in [(1, 2), (1, 3), (4,)]:
        cache[key] = SimpleNamespace(llama_state_size=1)
    assert list(cache.cache_state) == [(1, 3), (4,)]  # the oldest state went first
    assert cache[(1, 3, 9)] is cache.cache_state[(1, 3)]  # longest shared prefix


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
