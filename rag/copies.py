"""Syndicated copies: the same story under several outlets, recognised and grouped.

Each source's article text gets a MinHash signature (datasketch) over its word
shingles. Signatures are cut into bands whose hashes are stored in SQLite with
an index, so finding the candidates of a new article is one indexed lookup
however large the archive (locality-sensitive hashing kept on disk, shared by
every process like the lexical index). A candidate whose estimated Jaccard
similarity reaches the threshold makes the new article a copy: it joins that
candidate's group. A group is named by the first source that was in it. Articles
under MIN_WORDS words are never grouped.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.sqlite import Connections, rows_in, transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS signatures (
    source TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    grp TEXT NOT NULL,
    hashes BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS signatures_group ON signatures (grp);
CREATE TABLE IF NOT EXISTS bands (
    band TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bands_band ON bands (band);
CREATE INDEX IF NOT EXISTS bands_source ON bands (source);
"""
PERMUTATIONS = 128
# 64 bands of 2 rows: a pair at Jaccard 0.2 becomes a candidate with probability
# 1 - (1 - 0.2^2)^64 = 0.93, at 0.3 with 0.998; two unrelated articles (about 0.01)
# with 0.006. Candidates are then compared on the whole signature.
BANDS, ROWS = 64, 2
SHINGLE_WORDS = 3
# Shorter texts (a snippet, a two-line brief) share too large a part of their few phrases
# by chance: two briefs giving different figures in the same words are two reports.
MIN_WORDS = 50
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def signature(text: str) -> np.ndarray:
    from datasketch import MinHash  # on first use

    sketch = MinHash(num_perm=PERMUTATIONS, seed=7)
    sketch.update_batch([s.encode() for s in shingles(text)])
    return sketch.hashvalues.astype(np.uint64)


def bands(hashes: np.ndarray) -> list[str]:
    return [f"{b}:" + hashlib.blake2b(hashes[b * ROWS : (b + 1) * ROWS].tobytes(),
                                      digest_size=8).hexdigest() for b in range(BANDS)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(np.mean(a == b))


@dataclass(frozen=True)
class Copy:
    source: str
    group: str


class CopyIndex:
    """Thread-safe: one SQLite connection per thread; the file is shared between processes."""

    def __init__(self, path: Path, threshold: float) -> None:
        self.path = path
        self.threshold = threshold
        self._connections = Connections(path, SCHEMA, "copy index")

    def _connection(self) -> sqlite3.Connection:
        return self._connections.get()

    def add(self, source: str, key: str, text: str) -> str:
        """Record a source's article (replacing what it was); returns its group."""
        hashes = signature(text)
        groupable = len(_WORD.findall(text)) >= MIN_WORDS
        connection = self._connection()
        with transaction(connection):
            self._remove(connection, source)
            group = (self._group_for(connection, hashes) if groupable else None) or source
            connection.execute("INSERT INTO signatures VALUES (?, ?, ?, ?)",
                               (source, key, group, hashes.tobytes()))
            if groupable:
                connection.executemany("INSERT INTO bands VALUES (?, ?)",
                                       [(band, source) for band in bands(hashes)])
        return group

    def _group_for(self, connection: sqlite3.Connection, hashes: np.ndarray) -> str | None:
        keys = bands(hashes)
        # Each candidate once, before its signature is read: a story with hundreds of
        # copies shares every band with each (joined first, 200 copies cost 200 ms a write).
        rows = connection.execute(
            "SELECT source, grp, hashes FROM signatures WHERE source IN "
            f"(SELECT source FROM bands WHERE band IN ({','.join('?' * len(keys))}))",
            keys).fetchall()
        best, group = self.threshold, None
        for _, candidate_group, blob in rows:
            score = similarity(hashes, np.frombuffer(blob, dtype=np.uint64))
            if score >= best:
                best, group = score, candidate_group
        return group

    def remove(self, source: str) -> None:
        connection = self._connection()
        with transaction(connection):
            self._remove(connection, source)

    @staticmethod
    def _remove(connection: sqlite3.Connection, source: str) -> None:
        connection.execute("DELETE FROM bands WHERE source = ?", (source,))
        connection.execute("DELETE FROM signatures WHERE source = ?", (source,))

    def keys(self, sources: Iterable[str]) -> dict[str, str]:
        """The ingest key each source's signature was made from."""
        return dict(rows_in(self._connection(),
                            "SELECT source, key FROM signatures WHERE source IN ({})", sources))

    def groups(self, sources: Sequence[str]) -> dict[str, str]:
        """Each source's group (its own name when it has no copies or is not indexed)."""
        found = {source: source for source in sources}
        found.update(rows_in(self._connection(),
                             "SELECT source, grp FROM signatures WHERE source IN ({})", found))
        return found

    def copies_of(self, sources: Sequence[str]) -> dict[str, list[str]]:
        """For each source, the other sources in its group (empty for most)."""
        group_of = self.groups(sources)
        connection = self._connection()
        members: dict[str, list[str]] = {}
        for group in set(group_of.values()):
            members[group] = [row[0] for row in connection.execute(
                "SELECT source FROM signatures WHERE grp = ? ORDER BY source", (group,))]
        return {source: [m for m in members[group_of[source]] if m != source]
                for source in sources}

    def all_groups(self) -> dict[str, list[str]]:
        """Groups of two or more sources: group name -> sources."""
        rows = self._connection().execute(
            "SELECT grp, source FROM signatures WHERE grp IN "
            "(SELECT grp FROM signatures GROUP BY grp HAVING count(*) > 1) ORDER BY grp, source")
        groups: dict[str, list[str]] = {}
        for group, source in rows:
            groups.setdefault(group, []).append(source)
        return groups
