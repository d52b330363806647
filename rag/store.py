"""Chunks in Chroma (embedded under RAG_DATA_DIR, or a server at RAG_CHROMA_URL) and their
lexical index (SQLite under RAG_DATA_DIR), written together.

New chunks go to Chroma first, then to the lexical index; deletions go the other
way round; so the index never holds a chunk that Chroma does not. Every write
marks its sources as unsettled in the index before it touches Chroma and clears
the mark when both hold the same chunks again, so a source's record (`sources`)
is read from the index's rows unless it is marked: then a write was killed half
way, and its record is read from Chroma, whose two halves `Ingestor` compares
(`SourceRecord.complete` against the lexical `Holding`) before writing it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import numpy as np

from rag.copies import CopyIndex
from rag.embeddings import Embedder
from rag.errors import BackendUnavailableError, EmbeddingMismatchError, StoreError
from rag.lexical import Holding, LexicalIndex
from rag.records import Hit, SourceRecord, StoredChunk, source_records
from rag.settings import Settings

log = logging.getLogger(__name__)
WRITE_BATCH = 500
READ_PAGE = 5000


class ChunkStore:
    """The knowledge base's chunks, guarded so that only one embedding model ever writes to it."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.name = settings.chroma.collection
        self._client: Any = None
        self._collection: Any = None
        self._lexical_index = LexicalIndex(settings.data_dir / f"lexical-{self.name}.sqlite3")
        self.copies = CopyIndex(settings.data_dir / f"copies-{self.name}.sqlite3",
                                settings.ingest.copy_threshold)
        self._lexical_checked = False

    # -- opening -----------------------------------------------------------------------------

    def client(self) -> Any:
        if self._client is None:
            try:
                import chromadb
            except ImportError:
                raise BackendUnavailableError("chromadb is not installed: pip install chromadb") \
                    from None
            options = chromadb.Settings(anonymized_telemetry=False)
            url = self.settings.chroma.url
            try:
                if url:
                    parts = urlparse(url)
                    self._client = chromadb.HttpClient(
                        host=parts.hostname or "127.0.0.1",
                        port=parts.port or (443 if parts.scheme == "https" else 8000),
                        ssl=parts.scheme == "https", settings=options)
                else:
                    path = self.settings.data_dir / "chroma"
                    path.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(path), settings=options)
            except Exception as exc:  # chromadb raises bare ValueError/ConnectionError here
                where = url or str(self.settings.data_dir / "chroma")
                raise StoreError(f"cannot open the Chroma store at {where}: {exc}") from exc
        return self._client

    def _find(self, name: str) -> Any | None:
        names = {getattr(c, "name", c) for c in self.client().list_collections()}
        return self.client().get_collection(name, embedding_function=None) if name in names \
            else None

    def collection(self, create: bool = False) -> Any | None:
        """The collection, checked against the configured embedder; None if absent."""
        if self._collection is None:
            found = self._find(self.name)
            if found is None and create:
                found = self.client().create_collection(
                    self.name, embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embedding_model": self.embedder.model_id,
                              "embedding_dim": self.embedder.dimension})
            if found is not None:
                self._check_model(found.metadata or {})
            self._collection = found
        return self._collection

    def _check_model(self, metadata: dict[str, Any]) -> None:
        stored = metadata.get("embedding_model")
        if stored is not None and stored != self.embedder.model_id:
            raise EmbeddingMismatchError(
                f"collection '{self.name}' was indexed with {stored} "
                f"({metadata.get('embedding_dim', '?')} dimensions), but the configured embedder "
                f"is {self.embedder.model_id} ({self.embedder.dimension} dimensions). "
                "Run `rag reindex` to re-embed it with the configured model, or set "
                "RAG_EMBEDDINGS back to the model that built it.")

    def lexical(self) -> LexicalIndex:
        """The lexical index; filled from Chroma once if it has never been (a store built
        before the index existed, or a collection written by a process that had none)."""
        if not self._lexical_checked:
            if self._lexical_index.fact("filled") is None:
                collection = self.collection()
                if collection is not None:
                    for page in self._pages(collection, ["metadatas", "documents"]):
                        self._lexical_index.add([StoredChunk.from_chroma(metadata, text) for
                                          metadata, text in zip(page["metadatas"],
                                                                page["documents"], strict=True)])
                self._lexical_index.set_fact("filled", "yes")
                self._lexical_index.set_fact("settled", "yes")
            if self._lexical_index.fact("settled") is None:
                self._mark_differences()
            self._lexical_checked = True
        return self._lexical_index

    def _mark_differences(self) -> None:
        """Once, for an index written before writes marked their sources: mark every
        source whose chunks in Chroma and in the index differ (none, when they hold as
        many chunks: the index never holds one Chroma does not)."""
        index = self._lexical_index
        collection = self.collection()
        if collection is not None and collection.count() != index.count():
            stored = self._records(collection, None)
            held = index.holdings()
            differ = [source for source, record in stored.items()
                      if held.get(source) != Holding(record.keys, record.chunks)]
            index.unsettle(differ + sorted(held.keys() - stored.keys()))
        index.set_fact("settled", "yes")

    # -- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        collection = self.collection()
        return collection.count() if collection is not None else 0

    def _pages(self, collection: Any, include: list[str], where: dict[str, Any] | None = None
               ) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = collection.get(include=include, where=where, limit=READ_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def sources(self, names: Sequence[str] | None = None) -> dict[str, SourceRecord]:
        """Every source in the store (or those of `names`), aggregated from its chunks'
        metadata: read from the lexical rows, or from Chroma for a source that a killed
        write left unsettled (see the module's docstring)."""
        collection = self.collection()
        if collection is None:
            return {}
        index = self.lexical()
        unsettled = sorted(index.unsettled(names))
        records = index.records(names)
        for source in unsettled:
            records.pop(source, None)
        for offset in range(0, len(unsettled), READ_PAGE // 10):
            batch = unsettled[offset : offset + READ_PAGE // 10]
            records.update(self._records(collection, {"source": {"$in": batch}}))
        return records

    def _records(self, collection: Any, where: dict[str, Any] | None
                 ) -> dict[str, SourceRecord]:
        """Chroma's record of the sources `where` admits."""
        return source_records(metadata for page in self._pages(collection, ["metadatas"], where)
                              for metadata in page["metadatas"])

    def chunks(self, where: dict[str, Any] | None = None) -> list[StoredChunk]:
        """Stored chunks (optionally filtered), ordered by source and position."""
        collection = self.collection()
        if collection is None:
            return []
        found = [StoredChunk.from_chroma(metadata, text)
                 for page in self._pages(collection, ["metadatas", "documents"], where)
                 for metadata, text in zip(page["metadatas"], page["documents"], strict=True)]
        return sorted(found, key=lambda c: (c.source, c.chunk))

    def nearest(self, vector: list[float], k: int, where: dict[str, Any] | None = None
                ) -> list[tuple[str, float]]:
        """Ids of the `k` chunks nearest `vector` (of those `where` admits), with their
        similarity, nearest first."""
        collection = self.collection()
        if collection is None or k < 1:
            return []
        result = collection.query(query_embeddings=[vector], n_results=k, where=where,
                                  include=["distances"])
        return [(chunk_id, 1.0 - float(distance))
                for chunk_id, distance in zip(result["ids"][0], result["distances"][0],
                                              strict=True)]

    def similar(self, vector: list[float], ids: Sequence[str], k: int
                ) -> list[tuple[str, float]]:
        """Of `ids`, the `k` chunks nearest `vector` with their similarity, nearest first:
        their vectors compared one by one, with no graph search and no metadata filter."""
        collection = self.collection()
        if collection is None or k < 1 or not ids:
            return []
        found = collection.get(ids=list(ids), include=["embeddings"])
        if not found["ids"]:
            return []
        matrix = np.asarray(found["embeddings"], dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * np.linalg.norm(query)
        similarity = matrix @ query / np.maximum(norms, 1e-12)
        order = np.argsort(-similarity, kind="stable")[:k]
        return [(found["ids"][i], float(similarity[i])) for i in order]

    def query(self, vector: list[float], k: int, where: dict[str, Any] | None = None
              ) -> list[Hit]:
        """The `k` chunks nearest `vector`, read from the lexical index's rows: Chroma only
        ranks (fetching its own copies of metadata and text cost 11 ms of 16 for 40 hits,
        and 224 ms of 236 for 1,000). A chunk whose row is gone (deleted by another process
        meanwhile) is no hit."""
        nearest = self.nearest(vector, k, where)
        rows = self.lexical().chunks([chunk_id for chunk_id, _ in nearest])
        return [Hit(rows[chunk_id], score) for chunk_id, score in nearest if chunk_id in rows]

    # -- writing -----------------------------------------------------------------------------

    def write(self, chunks: list[StoredChunk], vectors: list[list[float]]) -> None:
        """Upsert chunks by id; writing the same chunks twice leaves one copy."""
        collection = self.collection(create=True)
        for offset in range(0, len(chunks), WRITE_BATCH):
            batch = chunks[offset : offset + WRITE_BATCH]
            collection.upsert(ids=[c.id for c in batch],
                              embeddings=vectors[offset : offset + WRITE_BATCH],
                              documents=[c.text for c in batch],
                              metadatas=[c.metadata() for c in batch])
        self.lexical().add(chunks)

    @contextmanager
    def writing(self, sources: Iterable[str]) -> Iterator[None]:
        """Around writes of `sources` to Chroma and the lexical index: they stay marked
        unsettled unless the block finishes."""
        names = list(sources)
        token = self.lexical().unsettle(names)
        yield
        self.lexical().settle(token, names)

    def delete_source(self, source: str, keep_key: str | None = None) -> None:
        """Remove a source's chunks, or only those not built under `keep_key`."""
        with self.writing([source]):
            # The lexical index first: killed in between, the chunks are still listed (and
            # a repeated delete or ingest finishes the job), never searchable yet unlisted.
            self.lexical().delete_source(source, keep_key)
            if keep_key is None:
                self.copies.remove(source)
            collection = self.collection()
            if collection is not None:
                where: dict[str, Any] = {"source": source}
                if keep_key is not None:
                    where = {"$and": [{"source": source}, {"key": {"$ne": keep_key}}]}
                collection.delete(where=where)

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Re-embed every stored chunk with the configured embedder; return the chunk count.

        Builds a new collection beside the old one and swaps only when it is
        complete, so an interrupted reindex leaves the old index usable.
        """
        old = self._find(self.name)
        if old is None:
            return 0
        temp_name = f"{self.name}__reindex"
        if self._find(temp_name) is not None:
            self.client().delete_collection(temp_name)
        temp = self.client().create_collection(
            temp_name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": self.embedder.model_id,
                      "embedding_dim": self.embedder.dimension})
        pages = list(self._pages(old, ["metadatas", "documents"]))
        total, done = sum(len(p["ids"]) for p in pages), 0
        for page in pages:
            for offset in range(0, len(page["ids"]), WRITE_BATCH):
                metas = page["metadatas"][offset : offset + WRITE_BATCH]
                texts = page["documents"][offset : offset + WRITE_BATCH]
                for meta in metas:
                    meta["embedding_model"] = self.embedder.model_id
                vectors = self.embedder.embed_documents(
                    [embedding_input(m["title"], t) for m, t in zip(metas, texts, strict=True)])
                temp.upsert(ids=page["ids"][offset : offset + WRITE_BATCH], embeddings=vectors,
                            documents=texts, metadatas=metas)
                done += len(metas)
                if progress:
                    progress(done, total)
        self.client().delete_collection(self.name)
        temp.modify(name=self.name)
        self._collection = None
        return done


def embedding_input(title: str, text: str) -> str:
    """What is embedded for a chunk: its article's title, then the chunk itself.

    The title gives a passage the context it lost when cut from its article
    (which article, about what), and costs a few tokens.
    """
    return f"{title}\n\n{text}"
