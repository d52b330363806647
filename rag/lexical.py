"""A BM25 index over the stored chunks, built on first use and rebuilt when the store changes."""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from rag.records import StoredChunk
from rag.store import ChunkStore
from rag.terms import terms


class LexicalIndex:
    def __init__(self, store: ChunkStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._signature: tuple[int, int, float] | None = None
        self._bm25: Any = None
        self.chunks: list[StoredChunk] = []
        self._outlets: list[str] = []

    def _ensure(self) -> None:
        signature = self.store.signature()
        if signature == self._signature:
            return
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)

        chunks = self.store.chunks()
        bm25 = bm25s.BM25()
        if chunks:
            bm25.index([terms(f"{c.title} {c.outlet or ''} {c.text}") or ["_"] for c in chunks],
                       show_progress=False)
        self._bm25, self.chunks, self._signature = bm25, chunks, signature
        self._outlets = sorted({c.outlet for c in chunks if c.outlet})

    def search(self, query: str, k: int, allowed: set[int] | None = None
               ) -> list[tuple[StoredChunk, float]]:
        """The `k` best chunks by BM25, optionally only among positions in `allowed`."""
        with self._lock:
            self._ensure()
            query_terms = terms(query)
            if not self.chunks or not query_terms:
                return []
            scores = np.asarray(self._bm25.get_scores(query_terms), dtype=float)
            if allowed is not None:
                mask = np.zeros(len(self.chunks), dtype=bool)
                mask[list(allowed)] = True
                scores = np.where(mask, scores, 0.0)
            order = np.argsort(-scores)[:k]
            return [(self.chunks[i], float(scores[i])) for i in order if scores[i] > 0]

    def outlets(self) -> list[str]:
        """The outlet names of the stored chunks, sorted."""
        with self._lock:
            self._ensure()
            return self._outlets

    def positions(self, predicate: Any) -> set[int]:
        with self._lock:
            self._ensure()
            return {i for i, chunk in enumerate(self.chunks) if predicate(chunk)}
