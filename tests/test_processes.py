"""Several processes on one store: `rag serve` twice and `rag serve --workers 2` sharing a
Chroma server and the data folder (so the lexical index), and the CLI through a server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from eval.servers import rag_serve, running_server
from tests.conftest import NEWER_SEED

pytestmark = pytest.mark.integration

SPILL = ("Title: Harbour spill\nDate: 2021-05-02\nSource: Port Wire\n\n"
         "Oil from the tanker Kestrel spread across the harbour on Sunday, "
         "the port authority said. Ferries were halted. {n}\n")


def server(work: Path, chroma_url: str, collection: str, *extra: str
           ) -> tuple[list[str], dict[str, str], str]:
    command, env, url = rag_serve(work, RAG_CHROMA_URL=chroma_url, RAG_EMBEDDINGS="hash",
                                  RAG_LLM="extractive", RAG_COLLECTION=collection)
    return [*command, *extra], env, url


def upload(url: str, name: str, n: int) -> int:
    files = {"files": (name, SPILL.format(n=n).encode(), "text/plain")}
    return httpx.post(f"{url}/documents", files=files, timeout=60).status_code


def finds_spill(url: str) -> bool:
    hits = httpx.post(f"{url}/search", json={"query": "tanker Kestrel oil", "k": 3},
                      timeout=60).json()["hits"]
    return any(hit["source"] == "spill.txt" for hit in hits)


def seen_within(url: str, expected: bool, in_a_row: int = 1, limit_s: float = 20.0) -> None:
    """Wait until `in_a_row` searches in a row through `url` agree with `expected`.

    This checks that a write becomes visible, not how fast: on a loaded CI machine one
    search can take over a second, so the limit is generous."""
    started, agreed = time.monotonic(), 0
    while agreed < in_a_row:
        agreed = agreed + 1 if finds_spill(url) == expected else 0
        if not agreed:
            assert time.monotonic() - started < limit_s, "a process did not see the write"
            time.sleep(0.05)


def test_two_servers_see_each_others_writes(chroma_url: str, tmp_path: Path) -> None:
    first_cmd, env, first = server(tmp_path, chroma_url, "two_servers")
    second_cmd, _, second = server(tmp_path, chroma_url, "two_servers")
    second_cmd = [*second_cmd[:second_cmd.index("--ingest")]]  # the first one ingests
    with running_server(first_cmd, f"{first}/health", tmp_path / "first.log", env=env), \
            running_server(second_cmd, f"{second}/health", tmp_path / "second.log", env=env):
        assert not finds_spill(second)
        assert upload(first, "spill.txt", 0) == 200
        seen_within(second, True)
        assert httpx.delete(f"{second}/documents/spill.txt", timeout=60).status_code == 200
        seen_within(first, False)

        # Writes through one while the other answers filtered questions: never a 5xx.
        statuses: list[int] = []
        done = threading.Event()

        def write() -> None:
            for n in range(40):
                statuses.append(upload(first, f"churn{n % 4}.txt", n))
                statuses.append(httpx.delete(f"{first}/documents/churn{n % 4}.txt",
                                             timeout=60).status_code)
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        rounds = 0
        while not done.is_set() or rounds < 200:
            rounds += 1
            reply = httpx.post(f"{second}/ask", timeout=60, json={
                "question": "Did oil from the tanker Kestrel halt the ferries?",
                "as_of": "2021-05-10", "sources": ["churn1.txt", NEWER_SEED]})
            statuses.append(reply.status_code)
        writer.join()
        assert rounds >= 200 and statuses and all(s < 500 for s in statuses), \
            sorted(set(statuses))


def test_workers_share_one_store(chroma_url: str, tmp_path: Path) -> None:
    command, env, url = server(tmp_path, chroma_url, "workers", "--workers", "2")
    with running_server(command, f"{url}/health", tmp_path / "workers.log", env=env):
        assert upload(url, "spill.txt", 1) == 200
        # Each search may land on either worker: all of them must see the write.
        seen_within(url, True, in_a_row=10)
        assert httpx.delete(f"{url}/documents/spill.txt", timeout=60).status_code == 200
        seen_within(url, False, in_a_row=10)


def test_workers_without_a_chroma_server_is_a_clear_error(tmp_path: Path) -> None:
    command, env, _ = rag_serve(tmp_path, RAG_EMBEDDINGS="hash")
    done = subprocess.run([*command, "--workers", "2"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "RAG_CHROMA_URL" in done.stderr


# -- the CLI through a running server ---------------------------------------------------------

def rag_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli", "-v", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_uses_a_running_server_for_the_same_store(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import client
    from rag.settings import load_settings

    command, env, url = rag_serve(tmp_path, RAG_EMBEDDINGS="hash", RAG_LLM="extractive")
    with running_server(command, f"{url}/health", tmp_path / "serve.log", env=env):
        through = {**env, "RAG_SERVER_URL": url}
        found = rag_cli(through, "search", "Patriot missile defenses", "--k", "1", "--json")
        assert "using the rag server at " + url in found.stderr
        assert json.loads(found.stdout)["hits"][0]["source"] == NEWER_SEED
        answered = rag_cli(through, "ask", "Have joint operations resumed?")
        assert answered.returncode == 0, answered.stderr
        assert "resumed" in answered.stdout and f"] {NEWER_SEED} (2020-01-30)" in answered.stdout
        local = rag_cli(through, "search", "Patriot missile defenses", "--local")
        assert "working in this process (--local)" in local.stderr and NEWER_SEED in local.stdout

        # Without RAG_SERVER_URL the default address is used only for the same store.
        monkeypatch.setattr(client, "DEFAULT_URL", url)
        same = load_settings({k: v for k, v in env.items() if k.startswith("RAG_")})
        assert client.reachable_server(same) is not None
        other = same.model_copy(update={"data_dir": tmp_path / "other"})
        assert client.reachable_server(other) is None

    gone = rag_cli({**env, "RAG_SERVER_URL": url}, "search", "anything")
    assert gone.returncode == 2 and "does not answer /health" in gone.stderr
