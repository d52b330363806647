"""ChunkStore reading Chroma while other processes write to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.knowledge_base import KnowledgeBase


class DeletedDuringQuery:
    """A collection answering a query as Chroma's server does when another process deletes a
    chunk between the vector search and the metadata fetch: the id with no metadata or text."""

    def __init__(self, real: Any, deleted_id: str) -> None:
        self.real = real
        self.deleted_id = deleted_id

    def query(self, **kwargs: Any) -> dict[str, Any]:
        result = self.real.query(**kwargs)
        row = result["ids"][0].index(self.deleted_id)
        for field in ("metadatas", "documents"):
            result[field][0][row] = None
        return result


def test_a_chunk_deleted_while_chroma_answers_is_no_hit(kb: KnowledgeBase, seeds: Path) -> None:
    kb.ingest([seeds])
    store = kb.store
    vector = kb.embedder.embed_query("joint operations resumed")
    first = store.query(vector, 3)
    gone = first[0].chunk.id
    store._collection = DeletedDuringQuery(store.collection(), gone)

    hits = store.query(vector, 3)

    assert [h.chunk.id for h in hits] == [h.chunk.id for h in first[1:]]
