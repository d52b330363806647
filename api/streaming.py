"""Run a blocking, token-producing call in a worker thread and consume its tokens here.

The call gets an `on_token` callback. Tokens cross to the event loop through a
queue; when the consumer goes away (the client disconnected), the next token
raises ClientGone inside the worker, which stops generation early.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from api.gate import Gate

OnToken = Callable[[str], None]


class ClientGone(Exception):
    """The client stopped reading; raised in the worker to stop generation."""


_running: set[asyncio.Task[None]] = set()


class TokenStream:
    """Starts `work` at once (in a worker thread, inside a `gate` slot) and relays its tokens.

    Iterate `events()` for ("token", str) items, then ("done", result) or
    ("error", exception). The caller has already been admitted to `gate`. The
    work starts in the constructor, not on first iteration, so the gate place is
    given back even if the client leaves before reading anything.
    """

    def __init__(self, gate: Gate, work: Callable[[OnToken], Any]) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._gone = threading.Event()
        task = asyncio.create_task(self._run(gate, work))
        _running.add(task)
        task.add_done_callback(_running.discard)

    def _on_token(self, piece: str) -> None:
        if self._gone.is_set():
            raise ClientGone
        self._loop.call_soon_threadsafe(self._queue.put_nowait, ("token", piece))

    async def _run(self, gate: Gate, work: Callable[[OnToken], Any]) -> None:
        async with gate.slot():
            try:
                result = await run_in_threadpool(work, self._on_token)
            except Exception as exc:  # handed to the consumer, which reports it
                self._queue.put_nowait(("error", exc))
            else:
                self._queue.put_nowait(("done", result))

    async def events(self) -> AsyncIterator[tuple[str, Any]]:
        try:
            while True:
                kind, value = await self._queue.get()
                yield kind, value
                if kind != "token":
                    return
        finally:
            self._gone.set()


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
