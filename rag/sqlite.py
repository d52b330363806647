"""SQLite files shared by threads and processes: the lexical index, the copy index, feeds.

Each thread gets its own connection (SQLite connections are not shared between
threads); WAL mode lets readers go on while one writer writes, in this process
or another; `transaction` groups statements so others see all of them or none.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from rag.errors import StoreError

BATCH = 500  # parameters in one `IN (...)`, well under SQLite's limit


class Connections:
    """One connection per thread to the database at `path`, created with `schema` (and
    `upgrade`, for files written before a change to it) on first use."""

    def __init__(self, path: Path, schema: str, what: str,
                 upgrade: Callable[[sqlite3.Connection], None] | None = None) -> None:
        self.path = path
        self.schema = schema
        self.what = what
        self.upgrade = upgrade
        self._local = threading.local()
        self._ready = threading.Lock()

    def get(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute("PRAGMA foreign_keys=ON")
                with self._ready:
                    connection.executescript(self.schema)
                    if self.upgrade:
                        self.upgrade(connection)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open the {self.what} at {self.path}: {exc}") from exc
            self._local.connection = connection
        return connection


class transaction:  # noqa: N801 (used as a statement: `with transaction(connection):`)
    """BEGIN ... COMMIT, rolled back on error. A writing one begins IMMEDIATE: it waits for
    other writers; a reading one sees one snapshot throughout."""

    def __init__(self, connection: sqlite3.Connection, write: bool = True) -> None:
        self.connection = connection
        self.write = write

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")

    def __exit__(self, kind: object, *_: object) -> None:
        self.connection.execute("COMMIT" if kind is None else "ROLLBACK")


def rows_in(connection: sqlite3.Connection, query: str, values: Iterable[str]
            ) -> Iterator[tuple[Any, ...]]:
    """Rows of `query`, whose `{}` is filled with placeholders for `values`, in batches."""
    names = list(values)
    for offset in range(0, len(names), BATCH):
        batch = names[offset : offset + BATCH]
        yield from connection.execute(query.format(",".join("?" * len(batch))), batch)


def execute_in(connection: sqlite3.Connection, statement: str, values: Iterable[str]) -> None:
    """Run `statement`, whose `{}` is filled with placeholders for `values`, in batches."""
    for _ in rows_in(connection, statement, values):
        pass
