"""ChunkStore reading Chroma and the lexical index while other processes write to them."""

from __future__ import annotations

from pathlib import Path

from rag.knowledge_base import KnowledgeBase


def test_a_chunk_deleted_while_chroma_answers_is_no_hit(kb: KnowledgeBase, seeds: Path) -> None:
    """Chroma ranks, the lexical index's rows are the chunks: a chunk Chroma still ranks
    but whose row another process has deleted meanwhile is no hit."""
    kb.ingest([seeds])
    store = kb.store
    vector = kb.embedder.embed_query("joint operations resumed")
    first = store.query(vector, 3)
    gone = first[0].chunk.source
    kb.lexical.delete_source(gone)  # the other process got this far

    hits = store.query(vector, 3)

    assert [chunk_id for chunk_id, _ in store.nearest(vector, 3)] == \
        [h.chunk.id for h in first]
    assert [h.chunk.id for h in hits] == [h.chunk.id for h in first if h.chunk.source != gone]
