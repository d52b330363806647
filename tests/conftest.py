"""Shared fixtures. Unit tests use the deterministic `hash` embedder and a temporary store."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from eval.servers import free_port, running_server
from rag.cli import main as cli_main
from rag.knowledge_base import KnowledgeBase
from rag.settings import Settings, load_settings

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
NEWER_SEED = "000_d56f81f16242cc2d.txt"
OLDER_SEED = "003_6304c13588ed21a1.txt"
BENCH = PROJECT.parent / "shared" / "benchdata" / "multihop"


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the seed folder that a test may change."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        overrides.setdefault("embeddings", {"backend": "hash"})
        return load_settings({"RAG_DATA_DIR": str(tmp_path / "data")}, **overrides)

    return build


@pytest.fixture
def kb(make_settings: Callable[..., Settings]) -> KnowledgeBase:
    return KnowledgeBase(make_settings())


@pytest.fixture
def extractive(make_settings: Callable[..., Settings], seeds: Path) -> KnowledgeBase:
    """The seeds ingested, answered by the `extractive` backend (no model).

    The context cutoff is 0.6, not the default 0.75 (measured with MiniLM): the
    word-hashing embedder scores the newer seed's "operations have resumed" at
    0.74 of the older seed's denial, so at 0.75 the conflict these tests check
    would lose one side. `test_integration_minilm` checks it at the default.
    """
    kb = KnowledgeBase(make_settings(llm={"backend": "extractive"},
                                     retrieval={"context_cutoff": 0.6}))
    kb.ingest([seeds])
    return kb


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for CLI runs: hash embedder, store under tmp_path."""
    for name in list(__import__("os").environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    env = {"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_EMBEDDINGS": "hash"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def rag(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> Callable[..., Any]:
    """Run `rag ARGS...` in-process; return (exit code, parsed JSON or text, stderr)."""

    def run(*argv: str) -> tuple[int, Any, str]:
        code = cli_main(list(argv))
        out, err = capsys.readouterr()
        return code, (json.loads(out) if "--json" in argv and out.strip() else out), err

    return run


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on 127.0.0.1 for the tests of one module."""
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    url = f"http://127.0.0.1:{port}"
    command = [chroma, "run", "--path", str(path / "db"), "--host", "127.0.0.1",
               "--port", str(port)]
    with running_server(command, f"{url}/api/v2/heartbeat", path / "server.log", 60):
        yield url
