"""Start a real server process on 127.0.0.1 for a test, and stop it afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(command: Sequence[str], ready_url: str, log_path: Path,
                   timeout_s: float = 120, env: Mapping[str, str] | None = None
                   ) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` until the block ends; wait until `ready_url` answers 200 first."""
    with log_path.open("w") as log:
        server = subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT,
                                  env=None if env is None else dict(env))
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    if httpx.get(ready_url, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start:\n"
                                       f"{log_path.read_text()[-3000:]}")
                time.sleep(0.3)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def rag_serve(work: Path, **env: str) -> tuple[list[str], dict[str, str], str]:
    """Command, environment and base URL for `rag serve` on a free port, with the seeds.

    The server's data folder is `work/data`; `env` adds or overrides RAG_* settings
    (none are inherited from the caller's environment).
    """
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    environment.update({"RAG_DATA_DIR": str(work / "data"), **env})
    seeds = work / "seeds"
    if not seeds.exists():
        shutil.copytree(Path(__file__).resolve().parents[1] / "seeds", seeds)
    rag = Path(sys.executable).with_name("rag")
    return ([str(rag), "serve", "--port", str(port), "--ingest", str(seeds)], environment,
            f"http://127.0.0.1:{port}")
