"""Ingest and search against a real `chroma run` server on 127.0.0.1 via RAG_CHROMA_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.servers import free_port
from rag.knowledge_base import KnowledgeBase
from rag.settings import load_settings
from tests.conftest import NEWER_SEED, SEEDS

pytestmark = pytest.mark.integration


def test_ingest_and_search_through_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    env = {"RAG_DATA_DIR": str(tmp_path), "RAG_CHROMA_URL": chroma_url,
           "RAG_EMBEDDINGS": "hash", "RAG_COLLECTION": "server_test"}
    kb = KnowledgeBase(load_settings(env))
    report = kb.ingest([SEEDS])
    assert (report.added, report.failed) == (2, [])
    assert not (tmp_path / "chroma").exists(), "the embedded store was used instead"

    again = KnowledgeBase(load_settings(env))  # a new client sees what the first wrote
    assert again.ingest([SEEDS]).unchanged == 2
    assert again.search("Patriot missile defenses", 1)[0].chunk.source == NEWER_SEED
    again.delete(NEWER_SEED)
    assert [d.source for d in again.documents()] == ["003_6304c13588ed21a1.txt"]


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    from rag.errors import StoreError

    env = {"RAG_DATA_DIR": str(tmp_path), "RAG_CHROMA_URL": f"http://127.0.0.1:{free_port()}",
           "RAG_EMBEDDINGS": "hash"}
    with pytest.raises(StoreError, match="cannot open the Chroma store"):
        KnowledgeBase(load_settings(env)).documents()
