from collections.abc import Callable
from pathlib import Path

import pytest

from rag.errors import EmbeddingMismatchError
from rag.knowledge_base import KnowledgeBase
from rag.settings import Settings
from tests.conftest import NEWER_SEED, OLDER_SEED

FURNITURE = ("Rocket Lab", "ADVERTISEMENT", "All rights reserved", "مشاركة")


def stored_ids(kb: KnowledgeBase) -> list[str]:
    return sorted(c.id for c in kb.store.chunks())


def test_seeds_are_ingested_once(kb: KnowledgeBase, seeds: Path) -> None:
    first = kb.ingest([seeds])
    assert (first.added, first.unchanged, first.failed) == (2, 0, [])
    ids = stored_ids(kb)
    second = kb.ingest([seeds])
    assert (second.added, second.updated, second.unchanged, second.chunks_added) == (0, 0, 2, 0)
    assert stored_ids(kb) == ids


def test_stored_chunks_are_clean_exact_slices(kb: KnowledgeBase, seeds: Path) -> None:
    kb.ingest([seeds])
    chunks = kb.store.chunks()
    assert {c.source for c in chunks} == {NEWER_SEED, OLDER_SEED}
    for chunk in chunks:
        raw = (seeds / chunk.source).read_text(encoding="utf-8")
        assert raw[chunk.start : chunk.end] == chunk.text
        assert not any(word in chunk.text for word in FURNITURE)
        assert chunk.embedding_model == "hash-256"
        assert len(chunk.sha256) == 64


def test_documents_list_metadata(kb: KnowledgeBase, seeds: Path) -> None:
    kb.ingest([seeds])
    docs = {d.source: d.summary() for d in kb.documents()}
    assert docs[NEWER_SEED]["published"] == "2020-01-30"
    assert docs[OLDER_SEED]["published"] == "2020-01-16"
    assert "SpaceWar.com" in docs[OLDER_SEED]["outlet"]
    assert all(d["chunks"] > 0 for d in docs.values())


def test_changed_file_replaces_all_its_chunks(kb: KnowledgeBase, seeds: Path) -> None:
    kb.ingest([seeds])
    path = seeds / NEWER_SEED
    path.write_text(path.read_text(encoding="utf-8").replace(
        "wounded 50 American troops", "wounded 64 American troops"), encoding="utf-8")
    report = kb.ingest([seeds])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    chunks = [c for c in kb.store.chunks() if c.source == NEWER_SEED]
    assert len({c.key for c in chunks}) == 1, "stale chunks of the old version remain"
    assert any("64 American" in c.text for c in chunks)
    assert not any("50 American" in c.text for c in chunks)


def test_chunking_settings_change_rechunks(make_settings: Callable[..., Settings],
                                            seeds: Path) -> None:
    KnowledgeBase(make_settings()).ingest([seeds])
    smaller = KnowledgeBase(make_settings(chunking={"size": 300, "overlap": 50}))
    report = smaller.ingest([seeds])
    assert report.updated == 2
    assert all(len(c.text) <= 300 for c in smaller.store.chunks())


def test_delete_and_prune(kb: KnowledgeBase, seeds: Path) -> None:
    kb.ingest([seeds])
    kb.delete(OLDER_SEED)
    assert {d.source for d in kb.documents()} == {NEWER_SEED}
    kb.ingest([seeds])
    (seeds / OLDER_SEED).unlink()
    report = kb.ingest([seeds], prune=True)
    assert report.deleted == 1
    assert {d.source for d in kb.documents()} == {NEWER_SEED}


def test_bad_files_fail_alone(kb: KnowledgeBase, seeds: Path, tmp_path: Path) -> None:
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "binary.txt").write_bytes(b"\x00\x01\x02 binary")
    (seeds / "latin1.txt").write_bytes(b"Caf\xe9 society gathered on the boulevard yesterday.")
    (seeds / "notes.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "report.docx").write_bytes(b"PK")
    report = kb.ingest([seeds, tmp_path / "missing.txt", tmp_path / "report.docx"])
    errors = {Path(f["path"]).name: f["error"] for f in report.failed}
    assert report.added == 2
    assert "empty" in errors["empty.txt"]
    assert "binary" in errors["binary.txt"]
    assert "UTF-8" in errors["latin1.txt"]
    assert "no such file" in errors["missing.txt"]
    assert "unsupported" in errors["report.docx"]
    assert any(p.endswith("notes.pdf") for p in report.skipped)


def test_oversized_file_is_refused(make_settings: Callable[..., Settings], seeds: Path) -> None:
    kb = KnowledgeBase(make_settings(ingest={"max_file_bytes": 3400}))
    report = kb.ingest([seeds])
    assert [Path(f["path"]).name for f in report.failed] == [OLDER_SEED]  # 4,390 bytes
    assert "RAG_MAX_FILE_BYTES" in report.failed[0]["error"]
    assert report.added == 1


def test_same_name_from_two_folders_is_reported(kb: KnowledgeBase, seeds: Path,
                                                tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / NEWER_SEED).write_text("Title: X\n\nA different article with the same name.\n")
    report = kb.ingest([seeds, other])
    assert report.added == 2
    assert "also named" in report.failed[0]["error"]


def test_another_embedder_cannot_open_the_collection(make_settings: Callable[..., Settings],
                                                     seeds: Path) -> None:
    KnowledgeBase(make_settings()).ingest([seeds])
    other = KnowledgeBase(make_settings(embeddings={"backend": "hash", "hash_dim": 64}))
    with pytest.raises(EmbeddingMismatchError) as caught:
        other.search("Patriot")
    message = str(caught.value)
    assert "hash-256" in message and "hash-64" in message and "rag reindex" in message


def test_reindex_switches_the_model(make_settings: Callable[..., Settings], seeds: Path) -> None:
    KnowledgeBase(make_settings()).ingest([seeds])
    other = KnowledgeBase(make_settings(embeddings={"backend": "hash", "hash_dim": 64}))
    count = other.reindex()
    assert count == other.store.count() > 0
    assert other.search("Patriot missile defenses", 1)[0].chunk.source == NEWER_SEED
    assert all(c.embedding_model == "hash-64" for c in other.store.chunks())
    assert other.ingest([seeds]).unchanged == 2


def test_document_returns_cleaned_text(kb: KnowledgeBase, seeds: Path) -> None:
    kb.ingest([seeds])
    document = kb.document(OLDER_SEED)
    assert document.text is not None and "Abdulkarim Khalaf" in document.text
    assert "Rocket Lab" not in document.text
