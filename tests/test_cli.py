from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import NEWER_SEED, OLDER_SEED

Rag = Callable[..., tuple[int, Any, str]]


def test_ingest_json_contract(rag: Rag, seeds: Path) -> None:
    code, report, _ = rag("ingest", str(seeds), "--json")
    assert code == 0
    assert report == {"added": 2, "updated": 0, "unchanged": 0, "deleted": 0,
                      "chunks_added": report["chunks_added"], "failed": [], "skipped": []}
    assert report["chunks_added"] > 2
    code, again, _ = rag("ingest", str(seeds), "--json")
    assert (code, again["added"], again["unchanged"], again["chunks_added"]) == (0, 0, 2, 0)


def test_documents_json_contract(rag: Rag, seeds: Path) -> None:
    rag("ingest", str(seeds), "--json")
    code, documents, _ = rag("documents", "--json")
    assert code == 0
    by_source = {d["source"]: d for d in documents}
    assert set(by_source) == {NEWER_SEED, OLDER_SEED}
    newer = by_source[NEWER_SEED]
    assert set(newer) == {"source", "title", "published", "outlet", "chunks", "sha256",
                         "url", "copies"}
    assert newer["title"] == ("Iraqs Joint Operations with Coalition Resume as US Seeks Nod "
                              "for Air Defenses")
    assert newer["published"] == "2020-01-30"
    older = by_source[OLDER_SEED]
    assert older["title"] == "Iraq denies resuming joint ops with US-led coalition"
    assert older["published"] == "2020-01-16"


def test_search_json_contract(rag: Rag, seeds: Path) -> None:
    rag("ingest", str(seeds))
    code, result, _ = rag("search", "Patriot missile defenses", "--k", "3", "--json")
    assert code == 0
    hits = result["hits"]
    assert len(hits) == 3
    assert set(hits[0]) == {"source", "title", "published", "outlet", "chunk", "start", "end",
                            "text", "url", "score"}
    assert hits[0]["source"] == NEWER_SEED
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_text_output(rag: Rag, seeds: Path) -> None:
    rag("ingest", str(seeds))
    code, out, _ = rag("search", "Abdulkarim Khalaf denied")
    assert code == 0 and out.startswith("1. [") and OLDER_SEED in out.splitlines()[0]


def test_bad_input_exits_1_and_reports(rag: Rag, seeds: Path, tmp_path: Path) -> None:
    (seeds / "empty.md").write_text("")
    code, report, _ = rag("ingest", str(seeds), str(tmp_path / "nope"), "--json")
    assert code == 1
    assert report["added"] == 2
    assert len(report["failed"]) == 2


def test_delete_unknown_source_is_a_clear_error(rag: Rag) -> None:
    code, _, err = rag("delete", "nothing.txt")
    assert code == 2 and "no ingested source" in err


def test_delete_removes_a_source(rag: Rag, seeds: Path) -> None:
    rag("ingest", str(seeds))
    code, result, _ = rag("delete", OLDER_SEED, "--json")
    assert code == 0 and result["deleted"] == OLDER_SEED
    _, documents, _ = rag("documents", "--json")
    assert [d["source"] for d in documents] == [NEWER_SEED]


def test_config_error_exits_2(rag: Rag, monkeypatch: Any) -> None:
    monkeypatch.setenv("RAG_CHUNK_SIZE", "big")
    code, _, err = rag("documents")
    assert code == 2 and "RAG_CHUNK_SIZE" in err


def test_settings_lists_every_variable(rag: Rag) -> None:
    code, rows, _ = rag("settings", "--json")
    assert code == 0
    by_env = {row["env"]: row for row in rows}
    assert by_env["RAG_EMBEDDINGS"]["value"] == "hash"
