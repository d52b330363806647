"""A deterministic lexical embedder: no model, same vector for the same text on any machine."""

from __future__ import annotations

import functools
import hashlib
import math
import re

from rag.embeddings.base import Embedder

_TOKEN = re.compile(r"\w+")


class HashEmbedder(Embedder):
    """Feature hashing of words and word pairs into `dim` signed buckets, L2-normalized.

    Texts that share words get similar vectors, which is enough for tests and
    for machines that cannot run a neural model.
    """

    def __init__(self, dim: int = 256) -> None:
        super().__init__()
        self.dim = dim

    @property
    def model_id(self) -> str:
        return f"hash-{self.dim}"

    @property
    def dimension(self) -> int:
        return self.dim

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        words = _TOKEN.findall(text.lower())
        features = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        vector = [0.0] * self.dim
        for feature in features:
            bucket, sign = _bucket(feature, self.dim)
            vector[bucket] += sign
        norm = math.sqrt(sum(value * value for value in vector))
        if norm == 0.0:
            vector[0], norm = 1.0, 1.0
        return [value / norm for value in vector]


@functools.lru_cache(maxsize=1 << 18)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    """The bucket and sign of one feature (cached: words and pairs recur across texts)."""
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest[:7], "little") % dim, 1.0 if digest[7] & 1 else -1.0
