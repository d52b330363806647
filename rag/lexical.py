"""BM25 over the stored chunks, written in the same step as the vector store.

Two files beside the Chroma folder. `lexical-<collection>.sqlite3` is the record:
each chunk's metadata, text and search terms (`rag.terms`: stemmed, stop words
dropped), with counts per outlet and in all. `lexical-<collection>.postings/`
is a tantivy index of those terms (`rag.postings`), which picks a search's
candidates; they are ranked here by BM25 as Lucene scores it. Adding or
deleting a source touches only its rows and documents, so a write costs the
same however large the archive is; a search reads postings and rows from disk,
so a process holds no copy of the archive in memory; every process that opens
the files sees every other's committed writes (SQLite in WAL mode: readers
never wait for a writer).

A write commits its rows to SQLite, with their ids in `pending`, then updates
the postings and clears those ids. A process killed in between leaves the ids
pending, and the next process to use the index brings their postings in line
with the rows. A search takes ids from the postings and reads their rows, so a
chunk deleted in between is simply not found.
"""

from __future__ import annotations

import math
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rag.postings import Posting, Postings
from rag.records import SourceRecord, StoredChunk, source_records
from rag.sqlite import BATCH, Connections, execute_in, rows_in, transaction
from rag.terms import terms

SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    title TEXT NOT NULL,
    published TEXT,
    outlet TEXT,
    chunk INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    key TEXT NOT NULL,
    total INTEGER NOT NULL,
    embedding_model TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT,
    body TEXT NOT NULL,
    length INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks (source, key);
CREATE TABLE IF NOT EXISTS totals (one INTEGER PRIMARY KEY CHECK (one = 1),
                                   chunks INTEGER NOT NULL, terms INTEGER NOT NULL);
INSERT OR IGNORE INTO totals VALUES (1, 0, 0);
CREATE TABLE IF NOT EXISTS outlets (outlet TEXT PRIMARY KEY, chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending (id TEXT PRIMARY KEY);
-- Sources being written to Chroma and this index (see `unsettle`).
CREATE TABLE IF NOT EXISTS unsettled (n INTEGER PRIMARY KEY, token TEXT NOT NULL,
                                      source TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS unsettled_source ON unsettled (source);
-- Before the postings moved to tantivy: an FTS5 table kept in step by these triggers.
DROP TRIGGER IF EXISTS chunks_added;
DROP TRIGGER IF EXISTS chunks_removed;
DROP TABLE IF EXISTS vocabulary;
DROP TABLE IF EXISTS postings;
CREATE TRIGGER IF NOT EXISTS chunk_added AFTER INSERT ON chunks BEGIN
    UPDATE totals SET chunks = chunks + 1, terms = terms + new.length;
    INSERT INTO outlets SELECT new.outlet, 1 WHERE new.outlet IS NOT NULL AND new.outlet != ''
        ON CONFLICT (outlet) DO UPDATE SET chunks = chunks + 1;
END;
CREATE TRIGGER IF NOT EXISTS chunk_removed AFTER DELETE ON chunks BEGIN
    UPDATE totals SET chunks = chunks - 1, terms = terms - old.length;
    UPDATE outlets SET chunks = chunks - 1 WHERE outlet = old.outlet;
    DELETE FROM outlets WHERE outlet = old.outlet AND chunks <= 0;
END;
CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
FIELDS = ("source", "path", "title", "published", "outlet", "chunk", "start", "end", "sha256",
          "key", "total", "embedding_model", "text", "url")
COLUMNS = ", ".join(f'c."{name}"' for name in FIELDS)
# Okapi BM25 as Lucene scores it, the ranking this index was measured with; tantivy's own
# (k1 1.2) picks the candidates.
K1, B = 1.5, 0.75
CANDIDATES = 200


@dataclass(frozen=True)
class Holding:
    """What the index holds of one source: its ingest keys and chunk count."""

    keys: frozenset[str]
    chunks: int


def body(chunk: StoredChunk) -> str:
    """The indexed terms of a chunk: its title, outlet and text."""
    return " ".join(terms(f"{chunk.title} {chunk.outlet or ''} {chunk.text}")) or "_"


class LexicalIndex:
    """Thread-safe: one SQLite connection per thread; the file is shared between processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connections = Connections(path, SCHEMA, "lexical index", _add_missing_columns)
        self.postings = Postings(path.with_suffix(".postings"))
        self._checked = False

    def _connection(self) -> sqlite3.Connection:
        connection = self._connections.get()
        if not self._checked:
            self._bring_postings_in_line(connection)
            self._checked = True
        return connection

    def _bring_postings_in_line(self, connection: sqlite3.Connection) -> None:
        """Postings for the rows of a file written before they existed (once), and for
        the ids a killed write left pending."""
        built = "SELECT value FROM facts WHERE name = 'postings'"
        if connection.execute(built).fetchone() is None or not self.postings.exists():
            last = ""  # (a build cut short is done again: each batch replaces its documents)
            while ids := [row[0] for row in connection.execute(
                    "SELECT id FROM chunks WHERE id > ? ORDER BY id LIMIT 5000", (last,))]:
                self._sync(ids)
                last = ids[-1]
            connection.execute("INSERT OR REPLACE INTO facts VALUES ('postings', 'tantivy')")
        if pending := [row[0] for row in connection.execute("SELECT id FROM pending")]:
            self._sync(pending)

    # -- state -------------------------------------------------------------------------------

    def fact(self, name: str) -> str | None:
        row = self._connection().execute("SELECT value FROM facts WHERE name = ?",
                                          (name,)).fetchone()
        return row[0] if row else None

    def set_fact(self, name: str, value: str) -> None:
        self._connection().execute("INSERT OR REPLACE INTO facts VALUES (?, ?)", (name, value))

    def count(self) -> int:
        return int(self._connection().execute("SELECT chunks FROM totals").fetchone()[0])

    def holdings(self, sources: Iterable[str] | None = None) -> dict[str, Holding]:
        """Keys and chunk counts per source: of `sources`, or of every source."""
        connection = self._connection()
        rows: list[tuple[str, str, int]] = []
        if sources is None:
            rows = connection.execute(
                "SELECT source, key, count(*) FROM chunks GROUP BY source, key").fetchall()
        else:
            rows = list(rows_in(connection, "SELECT source, key, count(*) FROM chunks "
                                            "WHERE source IN ({}) GROUP BY source, key", sources))
        found: dict[str, tuple[set[str], int]] = {}
        for source, key, n in rows:
            keys, total = found.get(source, (set(), 0))
            found[source] = (keys | {key}, total + n)
        return {source: Holding(frozenset(keys), n) for source, (keys, n) in found.items()}

    def records(self, sources: Iterable[str] | None = None) -> dict[str, SourceRecord]:
        """What the rows hold per source: of `sources`, or of every source."""
        query = ("SELECT source, path, title, published, outlet, sha256, key, total, url, chunk "
                 "FROM chunks")
        connection = self._connection()
        rows = connection.execute(query) if sources is None else \
            rows_in(connection, query + " WHERE source IN ({})", sources)
        names = ("source", "path", "title", "published", "outlet", "sha256", "key", "total",
                 "url", "chunk")
        return source_records(dict(zip(names, row, strict=True)) for row in rows)

    def chunks(self, ids: Sequence[str], outlets: Sequence[str] | None = None
               ) -> dict[str, StoredChunk]:
        """The stored chunks of `ids` (of `outlets` only, when given), by id."""
        query = f"SELECT c.id, {COLUMNS} FROM chunks c WHERE c.id IN ({{}})"
        values: list[str] = []
        if outlets:
            query += f" AND c.outlet IN ({','.join('?' * len(outlets))})"
            values = list(outlets)
        connection = self._connection()
        found: dict[str, StoredChunk] = {}
        for offset in range(0, len(ids), BATCH):
            batch = list(ids[offset : offset + BATCH])
            rows = connection.execute(query.format(",".join("?" * len(batch))), batch + values)
            found.update((row[0], StoredChunk(*row[1:])) for row in rows)
        return found

    def terms_of(self, sources: Iterable[str]) -> set[str]:
        """Every indexed term of the chunks of `sources`: what their text, titles and
        outlets hold (`body`)."""
        rows = rows_in(self._connection(), "SELECT body FROM chunks WHERE source IN ({})",
                       sources)
        return {term for (indexed,) in rows for term in indexed.split()}

    def admitted(self, limit: int, as_of: date | None = None,
                 sources: Sequence[str] | None = None, outlets: Sequence[str] | None = None
                 ) -> tuple[int, list[str]]:
        """How many chunks the filters admit (as in `search`), and their ids when that is
        at most `limit` (else no ids)."""
        self._connection()  # brings the postings in line with the rows
        return self.postings.admitted(limit, as_of, sources, outlets)

    def outlets(self) -> list[str]:
        """The outlet names of the stored chunks, sorted."""
        rows = self._connection().execute("SELECT outlet FROM outlets ORDER BY outlet")
        return [row[0] for row in rows]

    # -- writing -----------------------------------------------------------------------------

    def unsettle(self, sources: Iterable[str]) -> str:
        """Mark `sources` as being written, before Chroma is touched; returns the token
        that `settle` takes once Chroma and these rows hold the same chunks of them again.

        A source with no mark holds the same chunks in both (every writer marks first),
        so its record can be read from these rows; a process killed mid-write leaves
        the mark, and the source's record is then read from Chroma.
        """
        token = uuid.uuid4().hex
        connection = self._connection()
        with transaction(connection):
            connection.executemany("INSERT INTO unsettled (token, source) VALUES (?, ?)",
                                   [(token, source) for source in dict.fromkeys(sources)])
        return token

    def settle(self, token: str | None, sources: Iterable[str]) -> None:
        """Clear the marks of `token` on `sources`, and older marks on them: those left by
        killed writes, which this write (having read those sources' records from Chroma)
        has repaired. With no token, clear every mark on `sources` (found to hold the
        same chunks in both). An older write of the same source still running in another
        process loses its mark too; two processes writing one source at once is the one
        case this does not cover."""
        connection = self._connection()
        with transaction(connection):
            newest = connection.execute(
                "SELECT max(n) FROM unsettled WHERE token = ?" if token else
                "SELECT max(n) FROM unsettled", (token,) if token else ()).fetchone()[0]
            if newest is not None:
                for source in set(sources):
                    connection.execute("DELETE FROM unsettled WHERE source = ? AND n <= ?",
                                       (source, newest))

    def unsettled(self, sources: Iterable[str] | None = None) -> set[str]:
        """Those of `sources` (or of all) marked as being written."""
        connection = self._connection()
        if sources is None:
            return {row[0] for row in connection.execute("SELECT source FROM unsettled")}
        return {row[0] for row in rows_in(
            connection, "SELECT DISTINCT source FROM unsettled WHERE source IN ({})", sources)}

    def add(self, chunks: Sequence[StoredChunk]) -> None:
        """Index chunks; a chunk already indexed (same id, so same text) is left as it is."""
        connection = self._connection()
        rows = []
        for c in chunks:
            indexed = body(c)
            rows.append((c.id, *(getattr(c, name) for name in FIELDS), indexed,
                         indexed.count(" ") + 1))
        columns = ", ".join(f'"{name}"' for name in ("id", *FIELDS, "body", "length"))
        with transaction(connection):
            known = {row[0] for row in rows_in(
                connection, "SELECT id FROM chunks WHERE id IN ({})", [r[0] for r in rows])}
            new = [row for row in rows if row[0] not in known]
            connection.executemany(
                f"INSERT OR IGNORE INTO chunks ({columns}) "
                f"VALUES ({', '.join('?' * (len(FIELDS) + 3))})", new)
            connection.executemany("INSERT OR IGNORE INTO pending VALUES (?)",
                                   [(row[0],) for row in new])
        self._sync([row[0] for row in new])

    def delete_source(self, source: str, keep_key: str | None = None) -> None:
        """Remove a source's chunks, or only those not built under `keep_key`."""
        connection = self._connection()
        chosen, values = ("source = ?", (source,)) if keep_key is None else \
            ("source = ? AND key != ?", (source, keep_key))
        with transaction(connection):
            ids = [row[0] for row in connection.execute(
                f"SELECT id FROM chunks WHERE {chosen}", values)]
            connection.executemany("INSERT OR IGNORE INTO pending VALUES (?)",
                                   [(chunk_id,) for chunk_id in ids])
            connection.execute(f"DELETE FROM chunks WHERE {chosen}", values)
        self._sync(ids)

    def _sync(self, ids: Sequence[str]) -> None:
        """Make the postings of `ids` match their rows (none, for a deleted chunk), then
        clear them from `pending`. Repeating it is harmless."""
        if not ids:
            return
        connection = self._connections.get()
        postings = [Posting(*row) for row in rows_in(
            connection, "SELECT id, source, outlet, published, body FROM chunks "
                        "WHERE id IN ({})", ids)]
        self.postings.replace(ids, postings)
        with transaction(connection):
            execute_in(connection, "DELETE FROM pending WHERE id IN ({})", ids)

    # -- reading -----------------------------------------------------------------------------

    def search(self, query: str, k: int, as_of: date | None = None,
               sources: Sequence[str] | None = None, outlets: Sequence[str] | None = None
               ) -> list[tuple[StoredChunk, float]]:
        """The `k` best chunks by BM25 (higher is better), among those the filters admit.

        `as_of` admits dated chunks published on or before it; `sources` and
        `outlets` (when not empty) admit chunks of those sources or outlets.
        """
        query_terms = terms(query)
        if not query_terms or k < 1:
            return []
        connection = self._connection()
        ids, frequency = self.postings.search(list(dict.fromkeys(query_terms)),
                                              max(CANDIDATES, 5 * k), as_of, sources, outlets)
        if not ids:
            return []
        with transaction(connection, write=False):  # one snapshot for both reads
            chunks, total_terms = connection.execute(
                "SELECT chunks, terms FROM totals").fetchone()
            rows = list(rows_in(connection, f"SELECT c.id, {COLUMNS}, c.body, c.length "
                                            "FROM chunks c WHERE c.id IN ({})", ids))
        average = total_terms / max(chunks, 1)
        idf = {t: math.log(1 + max(chunks - n + 0.5, 0.5) / (n + 0.5))
               for t, n in frequency.items()}
        rank = {chunk_id: n for n, chunk_id in enumerate(ids)}
        scored = []
        for row in sorted(rows, key=lambda row: rank[row[0]]):
            counts = Counter(row[-2].split())
            norm = K1 * (1 - B + B * row[-1] / average)
            score = sum(idf[t] * counts[t] * (K1 + 1) / (counts[t] + norm)
                        for t in query_terms if counts[t])
            scored.append((StoredChunk(*row[1:-2]), score))
        scored.sort(key=lambda pair: -pair[1])
        return scored[:k]


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    """An index written before a column existed gets it (empty; filled as sources change)."""
    present = {row[1] for row in connection.execute("PRAGMA table_info(chunks)")}
    if "url" not in present:
        connection.execute("ALTER TABLE chunks ADD COLUMN url TEXT")
