"""An ingest killed with SIGKILL at any point and run again ends with exactly the right chunks,
in Chroma and in the lexical index alike."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rag.knowledge_base import KnowledgeBase
from rag.settings import load_settings
from tests.test_lexical import chroma_holdings

ARTICLES = 60


def write_corpus(folder: Path, version: str) -> None:
    folder.mkdir(exist_ok=True)
    for n in range(ARTICLES):
        sentences = " ".join(
            f"Report {n} sentence {s} says the council met on day {s} ({version})."
            for s in range(12))
        (folder / f"article_{n:03}.txt").write_text(
            f"Title: Article {n}\nDate: 2021-03-{n % 28 + 1:02}\nSource: Test Wire\n\n"
            f"{sentences}\n", encoding="utf-8")


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({"RAG_DATA_DIR": str(data_dir), "RAG_EMBEDDINGS": "hash",
                "RAG_CHUNK_SIZE": "200", "RAG_CHUNK_OVERLAP": "40", "RAG_INGEST_BATCH": "16"})
    return env


def ingest_and_kill(corpus: Path, data_dir: Path, after_files: int) -> None:
    """Start `rag -v ingest`, wait until `after_files` files are logged, then SIGKILL it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "-v", "ingest", str(corpus)],
        env=environment(data_dir), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert process.stderr is not None
    logged = 0
    for line in process.stderr:
        if "ingested" in line:
            logged += 1
            if logged >= after_files:
                break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the ingest finished before it was killed"


def chunk_ids(data_dir: Path) -> list[str]:
    env = environment(data_dir)
    settings = load_settings(env)
    return sorted(chunk.id for chunk in KnowledgeBase(settings).store.chunks())


def assert_index_matches_store(data_dir: Path) -> None:
    """The lexical index holds exactly the chunks Chroma holds, source by source."""
    kb = KnowledgeBase(load_settings(environment(data_dir)))
    assert kb.lexical.holdings() == chroma_holdings(kb)
    assert kb.lexical.unsettled() == set()


def finish(corpus: Path, data_dir: Path) -> None:
    subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(corpus)],
                   env=environment(data_dir), check=True, capture_output=True)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("crash")
    first, second = root / "v1", root / "v2"
    write_corpus(first, "v1")
    write_corpus(second, "v2")
    clean = {}
    for name, corpus in (("v1", first), ("v2", second)):
        finish(corpus, root / f"clean-{name}")
        clean[name] = chunk_ids(root / f"clean-{name}")
    return {"root": root, "v1": first, "v2": second, "clean": clean}


@pytest.mark.parametrize("after_files", [1, 17, 45])
def test_killed_first_ingest_recovers(corpora: dict, tmp_path: Path, after_files: int) -> None:
    data_dir = tmp_path / "data"
    ingest_and_kill(corpora["v1"], data_dir, after_files)
    partial = chunk_ids(data_dir)
    assert 0 < len(partial) < len(corpora["clean"]["v1"])
    finish(corpora["v1"], data_dir)
    assert chunk_ids(data_dir) == corpora["clean"]["v1"]
    assert_index_matches_store(data_dir)


@pytest.mark.parametrize("after_files", [2, 30])
def test_killed_update_recovers(corpora: dict, tmp_path: Path, after_files: int) -> None:
    """Every file changed; killed half-way, some sources hold old and new chunks at once."""
    data_dir = tmp_path / "data"
    corpus = tmp_path / "corpus"
    write_corpus(corpus, "v1")
    finish(corpus, data_dir)
    write_corpus(corpus, "v2")
    ingest_and_kill(corpus, data_dir, after_files)
    finish(corpus, data_dir)
    assert chunk_ids(data_dir) == corpora["clean"]["v2"]
    assert_index_matches_store(data_dir)
