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
