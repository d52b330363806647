"""An embedder that remembers the vectors of texts it has embedded recently."""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Sequence

from rag.embeddings.base import Embedder


class CachedEmbedder(Embedder):
    """Wraps another embedder; the last `max_items` distinct texts are not embedded twice.

    Each answer scores the sentences of the chunks it retrieved, and questions
    about the same articles retrieve the same sentences again: with the cache a
    service embeds a sentence once, not once per question. Vectors are kept as
    32-bit floats (what local models and OpenAI-style servers return), about
    1.5 KB each for MiniLM, so the default 20,000 texts take some 35 MB.
    """

    def __init__(self, inner: Embedder, max_items: int = 20_000) -> None:
        super().__init__()
        self.inner = inner
        self.max_items = max_items
        self._vectors: OrderedDict[str, array[float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            known = {text: self._vectors[text] for text in texts if text in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        missing = list(dict.fromkeys(text for text in texts if text not in known))
        if missing:
            fresh = {text: array("f", vector)
                     for text, vector in zip(missing, self.inner.embed_documents(missing),
                                             strict=True)}
            known.update(fresh)
            with self._lock:
                self._vectors.update(fresh)
                while len(self._vectors) > self.max_items:
                    self._vectors.popitem(last=False)
        return [known[text].tolist() for text in texts]
