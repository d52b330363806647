"""Bounded concurrency for model-backed requests: a few run, a few wait, the rest are turned away.

Turning a request away costs nothing but a counter check, so a flood of
requests gets quick 503s while the ones admitted finish normally.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Busy(Exception):
    """Every slot and every queue place is taken."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__("the model is busy; retry later")
        self.retry_after_s = retry_after_s


class Gate:
    def __init__(self, slots: int, queue: int, retry_after_s: int) -> None:
        self.slots = slots
        self.capacity = slots + queue
        self.retry_after_s = retry_after_s
        self.admitted = 0
        self._running: asyncio.Semaphore | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        # Created on first use, inside the server's event loop.
        if self._running is None:
            self._running = asyncio.Semaphore(self.slots)
        return self._running

    def admit(self) -> None:
        """Take a place or raise Busy at once. Pair with `run()` or `leave()`."""
        if self.admitted >= self.capacity:
            raise Busy(self.retry_after_s)
        self.admitted += 1

    def leave(self) -> None:
        self.admitted -= 1

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a running slot (the place was taken by `admit()`), release both after."""
        try:
            async with self._semaphore():
                yield
        finally:
            self.leave()


class OpenGate(Gate):
    """No limit: for the extractive backend, where there is no scarce model."""

    def __init__(self) -> None:
        super().__init__(1, 0, 1)

    def admit(self) -> None:
        self.admitted += 1

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            self.leave()
