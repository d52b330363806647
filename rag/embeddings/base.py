"""The one interface every embedding backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from langchain_core.embeddings import Embeddings

from rag.errors import RagError


class Embedder(Embeddings, ABC):
    """Turns texts into vectors. Subclasses implement `model_id` and `_embed`.

    Batching and validation live here, once. Constructors only store
    configuration: models are loaded and clients opened on first use.
    It is a LangChain `Embeddings`, so it plugs into LangChain retrievers as is.
    """

    #: How many texts one `_embed` call receives at most.
    max_batch: int = 256

    def __init__(self) -> None:
        self._dimension: int | None = None

    @property
    @abstractmethod
    def model_id(self) -> str:
        """A stable name of the model; a collection is only searched with the one that built it."""

    @abstractmethod
    def _embed(self, texts: list[str]) -> list[list[float]]:
        """Embed one batch of at most `max_batch` non-empty texts."""

    @property
    def dimension(self) -> int:
        """Vector size (may load the model)."""
        if self._dimension is None:
            self._dimension = len(self._embed(["dimension probe"])[0])
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for offset in range(0, len(texts), self.max_batch):
            # Some servers reject empty strings; a blank text embeds as a single space.
            batch = [text if text.strip() else " "
                     for text in texts[offset : offset + self.max_batch]]
            result = self._embed(batch)
            if len(result) != len(batch):
                raise RagError(f"{self.model_id} returned {len(result)} vectors for "
                               f"{len(batch)} texts")
            vectors.extend(result)
        if vectors:
            sizes = {len(vector) for vector in vectors}
            if len(sizes) != 1:
                raise RagError(f"{self.model_id} returned vectors of mixed sizes {sorted(sizes)}")
            self._dimension = sizes.pop()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
