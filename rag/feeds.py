"""Feeds the service follows: which ones, when each is due, what each entry was last time.

The registry is one SQLite file beside the store (`feeds.sqlite3`), so every
process of one service shares it; a poll is claimed with a lease, so two
processes never poll the same feed at once. Polling (`rag.polling`) asks the
feed with its ETag and Last-Modified, and fetches only the entries that are new
or changed since the last poll.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rag.errors import ConfigError, RagError, SourceNotFoundError
from rag.sqlite import Connections

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    every_s INTEGER NOT NULL,
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    last_poll REAL,
    last_error TEXT,
    polls INTEGER NOT NULL DEFAULT 0,
    added INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    lease_until REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entries (
    feed INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    link TEXT NOT NULL,
    stamp TEXT NOT NULL,
    content TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (feed, link)
);
CREATE INDEX IF NOT EXISTS entries_content ON entries (content);
"""
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)?\s*$", re.I)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_EVERY_S = 60


class FeedNotFoundError(SourceNotFoundError):
    def __init__(self, feed: str) -> None:
        RagError.__init__(self, f"no feed {feed!r}; see `rag feeds list`")
        self.source = feed


def parse_every(text: str) -> int:
    """Seconds in `90s`, `15m`, `2h`, `1d` (a bare number is minutes); at least a minute."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"cannot read {text!r} as an interval; write e.g. 15m, 2h or 1d")
    seconds = int(match[1]) * _UNIT[(match[2] or "m").lower()]
    if seconds < MIN_EVERY_S:
        raise ConfigError(f"{text!r} is too often; feeds are polled at most once a minute")
    return seconds


@dataclass(frozen=True)
class Feed:
    id: int
    url: str
    every_s: int
    title: str | None
    etag: str | None
    last_modified: str | None
    last_poll: float | None
    last_error: str | None
    polls: int
    added: int
    updated: int

    def due(self, now: float) -> bool:
        return self.last_poll is None or now >= self.last_poll + self.every_s

    def as_dict(self) -> dict[str, object]:
        def stamp(seconds: float | None) -> str | None:
            return None if seconds is None else \
                datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")

        return {"id": self.id, "url": self.url, "every_s": self.every_s, "title": self.title,
                "last_poll": stamp(self.last_poll),
                "next_poll": stamp(self.last_poll + self.every_s) if self.last_poll else None,
                "last_error": self.last_error, "polls": self.polls, "added": self.added,
                "updated": self.updated}


@dataclass(frozen=True)
class Entry:
    """What an entry was at its last poll: its date stamp and its article's content hash."""

    stamp: str
    content: str
    source: str


class FeedRegistry:
    """Thread-safe: one SQLite connection per thread; the file is shared between processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connections = Connections(path, SCHEMA, "feed list")

    def _connection(self) -> sqlite3.Connection:
        return self._connections.get()

    # -- the list ----------------------------------------------------------------------------

    def add(self, url: str, every_s: int) -> Feed:
        """Follow a feed; adding one already followed changes its interval only."""
        self._connection().execute(
            "INSERT INTO feeds (url, every_s) VALUES (?, ?) "
            "ON CONFLICT (url) DO UPDATE SET every_s = excluded.every_s", (url, every_s))
        return self.get(url)

    def remove(self, feed: str) -> Feed:
        """Stop following a feed (by id or address); its articles stay in the store."""
        found = self.get(feed)
        self._connection().execute("DELETE FROM feeds WHERE id = ?", (found.id,))
        return found

    def get(self, feed: str | int) -> Feed:
        by_id = str(feed).isdigit()
        row = self._connection().execute(
            f"SELECT {_FEED_COLUMNS} FROM feeds WHERE "
            + ("CAST(id AS TEXT) = ?" if by_id else "url = ?"), (str(feed),)).fetchone()
        if row is None:
            raise FeedNotFoundError(str(feed))
        return Feed(*row)

    def all(self) -> list[Feed]:
        rows = self._connection().execute(f"SELECT {_FEED_COLUMNS} FROM feeds ORDER BY id")
        return [Feed(*row) for row in rows]

    # -- polling -----------------------------------------------------------------------------

    def claim(self, feed: Feed, lease_s: float) -> bool:
        """Take the right to poll `feed` for `lease_s` seconds; False if another has it."""
        now = time.time()
        cursor = self._connection().execute(
            "UPDATE feeds SET lease_until = ? WHERE id = ? AND lease_until < ?",
            (now + lease_s, feed.id, now))
        return cursor.rowcount == 1

    def polled(self, feed: Feed, *, title: str | None = None, etag: str | None = None,
               last_modified: str | None = None, error: str | None = None, added: int = 0,
               updated: int = 0, keep_validators: bool = False) -> None:
        """Record a finished poll and release the lease."""
        validators = "" if keep_validators else ", etag = ?, last_modified = ?"
        values: tuple[object, ...] = (time.time(), error, added, updated, title)
        if not keep_validators:
            values += (etag, last_modified)
        self._connection().execute(
            "UPDATE feeds SET last_poll = ?, last_error = ?, polls = polls + 1, "
            "added = added + ?, updated = updated + ?, title = coalesce(?, title), "
            f"lease_until = 0{validators} WHERE id = ?", (*values, feed.id))

    def entry(self, feed: Feed, link: str) -> Entry | None:
        row = self._connection().execute(
            "SELECT stamp, content, source FROM entries WHERE feed = ? AND link = ?",
            (feed.id, link)).fetchone()
        return Entry(*row) if row else None

    def holder_of(self, content: str) -> str | None:
        """The source of any feed entry whose article has this content hash."""
        row = self._connection().execute(
            "SELECT source FROM entries WHERE content = ? LIMIT 1", (content,)).fetchone()
        return row[0] if row else None

    def remember(self, feed: Feed, link: str, entry: Entry) -> None:
        self._connection().execute(
            "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)",
            (feed.id, link, entry.stamp, entry.content, entry.source))


_FEED_COLUMNS = ("id, url, every_s, title, etag, last_modified, last_poll, last_error, polls, "
                 "added, updated")
