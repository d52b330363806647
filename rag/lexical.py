"""BM25 over the stored chunks in SQLite FTS5, written in the same step as the vector store.

One file (`lexical.sqlite3` beside the Chroma folder) holds each chunk's
metadata, its text and its search terms (`rag.terms`: stemmed, stop words
dropped), with an FTS5 index over the terms kept in step by triggers. Adding
or deleting a source touches only its rows, so a write costs the same however
large the archive is; a search reads postings from disk, so a process holds
no copy of the archive in memory; and every process that opens the file sees
every other's committed writes at once (WAL mode: readers never wait for a
writer). Filters (as-of date, sources, outlets) are part of the same SQL
statement as the ranking, so no write can slip between choosing and reading.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rag.records import StoredChunk
from rag.sqlite import Connections, rows_in, transaction
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
CREATE VIRTUAL TABLE IF NOT EXISTS postings USING fts5 (
    body, content='chunks', content_rowid='n', tokenize='unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS vocabulary USING fts5vocab (postings, 'row');
CREATE TABLE IF NOT EXISTS totals (one INTEGER PRIMARY KEY CHECK (one = 1),
                                   chunks INTEGER NOT NULL, terms INTEGER NOT NULL);
INSERT OR IGNORE INTO totals VALUES (1, 0, 0);
CREATE TABLE IF NOT EXISTS outlets (outlet TEXT PRIMARY KEY, chunks INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS chunks_added AFTER INSERT ON chunks BEGIN
    INSERT INTO postings (rowid, body) VALUES (new.n, new.body);
    UPDATE totals SET chunks = chunks + 1, terms = terms + new.length;
    INSERT INTO outlets SELECT new.outlet, 1 WHERE new.outlet IS NOT NULL AND new.outlet != ''
        ON CONFLICT (outlet) DO UPDATE SET chunks = chunks + 1;
END;
CREATE TRIGGER IF NOT EXISTS chunks_removed AFTER DELETE ON chunks BEGIN
    INSERT INTO postings (postings, rowid, body) VALUES ('delete', old.n, old.body);
    UPDATE totals SET chunks = chunks - 1, terms = terms - old.length;
    UPDATE outlets SET chunks = chunks - 1 WHERE outlet = old.outlet;
    DELETE FROM outlets WHERE outlet = old.outlet AND chunks <= 0;
END;
CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
FIELDS = ("source", "path", "title", "published", "outlet", "chunk", "start", "end", "sha256",
          "key", "total", "embedding_model", "text", "url")
COLUMNS = ", ".join(f'c."{name}"' for name in FIELDS)
# Okapi BM25 as Lucene scores it, the ranking this index was measured with. FTS5's own
# bm25() (k1 1.2, an idf that vanishes for common terms) only picks the candidates.
K1, B = 1.5, 0.75
CANDIDATES = 200
# Candidates must hold one of the question's less common terms (in at most this share of
# chunks), as in Lucene's common-terms query; common terms still count in the score. Their
# long posting lists would otherwise cost every search time in proportion to the archive.
# A term in fewer than COMMON_FLOOR chunks is cheap to match in any archive.
COMMON, COMMON_FLOOR = 0.05, 1000


@dataclass(frozen=True)
class Holding:
    """What the index holds of one source: its ingest keys and chunk count."""

    keys: frozenset[str]
    chunks: int


def body(chunk: StoredChunk) -> str:
    """The indexed terms of a chunk: its title, outlet and text."""
    return " ".join(terms(f"{chunk.title} {chunk.outlet or ''} {chunk.text}")) or "_"


def match_expression(query_terms: Sequence[str]) -> str:
    """An FTS5 query matching any of the terms, each quoted once."""
    return " OR ".join(f'"{term}"' for term in dict.fromkeys(query_terms))


class LexicalIndex:
    """Thread-safe: one SQLite connection per thread; the file is shared between processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connections = Connections(path, SCHEMA, "lexical index", _add_missing_columns)

    def _connection(self) -> sqlite3.Connection:
        return self._connections.get()

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

    def outlets(self) -> list[str]:
        """The outlet names of the stored chunks, sorted."""
        rows = self._connection().execute("SELECT outlet FROM outlets ORDER BY outlet")
        return [row[0] for row in rows]

    # -- writing -----------------------------------------------------------------------------

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
            connection.executemany(
                f"INSERT OR IGNORE INTO chunks ({columns}) "
                f"VALUES ({', '.join('?' * (len(FIELDS) + 3))})", rows)

    def delete_source(self, source: str, keep_key: str | None = None) -> None:
        """Remove a source's chunks, or only those not built under `keep_key`."""
        connection = self._connection()
        with transaction(connection):
            if keep_key is None:
                connection.execute("DELETE FROM chunks WHERE source = ?", (source,))
            else:
                connection.execute("DELETE FROM chunks WHERE source = ? AND key != ?",
                                   (source, keep_key))

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
        with transaction(connection, write=False):  # one snapshot for all three reads
            chunks, total_terms = connection.execute(
                "SELECT chunks, terms FROM totals").fetchone()
            unique = sorted(set(query_terms))
            frequency = dict(connection.execute(
                "SELECT term, doc FROM vocabulary WHERE term IN "
                f"({','.join('?' * len(unique))})", unique).fetchall())
            common = max(COMMON * chunks, COMMON_FLOOR)
            matching = [t for t in unique if frequency.get(t, 0) <= common] or unique
            clauses, values = ["postings MATCH ?"], [match_expression(matching)]
            if as_of is not None:
                clauses.append("c.published IS NOT NULL AND c.published <= ?")
                values.append(as_of.isoformat())
            for column, allowed in (("source", sources), ("outlet", outlets)):
                if allowed:
                    clauses.append(f"c.{column} IN ({','.join('?' * len(allowed))})")
                    values.extend(allowed)
            rows = connection.execute(
                f"SELECT {COLUMNS}, c.body, c.length FROM postings "
                "JOIN chunks c ON c.n = postings.rowid "
                f"WHERE {' AND '.join(clauses)} ORDER BY bm25(postings) LIMIT ?",
                (*values, max(CANDIDATES, 5 * k))).fetchall()
        if not rows:
            return []
        average = total_terms / max(chunks, 1)
        idf = {t: math.log(1 + (chunks - frequency.get(t, 0) + 0.5) /
                           (frequency.get(t, 0) + 0.5)) for t in unique}
        scored = []
        for row in rows:
            counts = Counter(row[-2].split())
            norm = K1 * (1 - B + B * row[-1] / average)
            score = sum(idf[t] * counts[t] * (K1 + 1) / (counts[t] + norm)
                        for t in query_terms if counts[t])
            scored.append((StoredChunk(*row[:-2]), score))
        scored.sort(key=lambda pair: -pair[1])
        return scored[:k]


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    """An index written before a column existed gets it (empty; filled as sources change)."""
    present = {row[1] for row in connection.execute("PRAGMA table_info(chunks)")}
    if "url" not in present:
        connection.execute("ALTER TABLE chunks ADD COLUMN url TEXT")
