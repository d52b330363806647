"""Poll feeds: fetch each (conditionally), then fetch and ingest its new and changed entries.

An entry is fetched again only when its date stamp (`updated`, else `published`)
changed since the last poll; its article is ingested only when the text is new
(a content hash no other entry holds) or changed. One failing feed, or one
failing page, never stops the others: each is reported, and a failed entry is
tried again at the next poll.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from rag.errors import ArticleError, FetchError
from rag.feeds import Entry, Feed, FeedRegistry
from rag.fetch import FEED_TYPES, fetch
from rag.webpage import Snapshot, source_name

if TYPE_CHECKING:
    from rag.knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)
LEASE_S = 600.0


@dataclass
class PollResult:
    feed: str
    status: str  # "polled", "not modified", "failed", "busy" (another process polls it)
    entries: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _Fetched:
    link: str
    stamp: str
    page: Snapshot


class FeedPoller:
    def __init__(self, kb: KnowledgeBase, registry: FeedRegistry) -> None:
        self.kb = kb
        self.registry = registry

    def poll(self, due_only: bool = False, progress: bool = False, now: float | None = None
             ) -> list[PollResult]:
        """Poll every feed (or those due); never raises for a feed's own failure."""
        moment = now if now is not None else time.time()
        results = []
        for feed in self.registry.all():
            if due_only and not feed.due(moment):
                continue
            try:
                results.append(self.poll_feed(feed, progress))
            except Exception as exc:  # a bug in one feed's handling must not stop the rest
                log.exception("polling %s failed", feed.url)
                self.registry.polled(feed, error=f"internal error: {exc}", keep_validators=True)
                results.append(PollResult(feed.url, "failed", error=str(exc)))
        return results

    def poll_feed(self, feed: Feed, progress: bool = False) -> PollResult:
        if not self.registry.claim(feed, LEASE_S):
            return PollResult(feed.url, "busy")
        try:
            answer = fetch(feed.url, self.kb.settings.fetch, accept=FEED_TYPES,
                           etag=feed.etag, last_modified=feed.last_modified)
        except FetchError as exc:
            self.registry.polled(feed, error=str(exc), keep_validators=True)
            return PollResult(feed.url, "failed", error=str(exc))
        if answer.not_modified:
            self.registry.polled(feed, etag=answer.etag or feed.etag,
                                 last_modified=answer.last_modified or feed.last_modified)
            return PollResult(feed.url, "not modified")

        import feedparser  # on first use

        parsed = feedparser.parse(answer.body)
        if parsed.bozo and not parsed.entries:
            error = f"{feed.url}: not an RSS or Atom feed ({parsed.get('bozo_exception')})"
            self.registry.polled(feed, error=error, keep_validators=True)
            return PollResult(feed.url, "failed", error=error)

        result = PollResult(feed.url, "polled", entries=len(parsed.entries))
        fetched = self._changed_entries(feed, parsed.entries, result, progress)
        fresh = self._drop_duplicates(feed, fetched, result)
        if fresh:
            report, _ = self.kb.add_snapshots([item.page for item in fresh])
            result.added, result.updated = report.added, report.updated
            result.unchanged += report.unchanged
            result.failed += report.failed
            failed_paths = {f["path"] for f in report.failed}
            for item in fresh:
                if str((self.kb.web_dir / source_name(item.link)).resolve()) not in failed_paths:
                    self._remember(feed, item)
        error = None
        if result.failed:
            error = (f"{len(result.failed)} of {result.entries} entries failed; first: "
                     f"{result.failed[0]['error']}")
        self.registry.polled(feed, title=parsed.feed.get("title"), etag=answer.etag,
                             last_modified=answer.last_modified, error=error,
                             added=result.added, updated=result.updated)
        return result

    def _changed_entries(self, feed: Feed, entries: list[Any], result: PollResult,
                         progress: bool) -> list[_Fetched]:
        fetched = []
        for entry in tqdm(entries, unit="entry", desc=feed.url[:40], disable=not progress):
            link = entry.get("link")
            if not link:
                result.failed.append({"path": entry.get("title", "(untitled entry)"),
                                      "error": "the entry has no link"})
                continue
            # Read as a plain dict: feedparser's own lookup maps a missing `updated` to
            # `published` with a deprecation warning.
            stamp = f"{dict.get(entry, 'updated', '')}|{dict.get(entry, 'published', '')}"
            known = self.registry.entry(feed, link)
            if known is not None and known.stamp == stamp:
                result.unchanged += 1
                continue
            try:
                page = self.kb.fetch_snapshot(link)
            except ArticleError as exc:
                result.failed.append({"path": link, "error": str(exc)})
                continue
            if known is not None and known.content == page.content_sha256:
                self._remember(feed, _Fetched(link, stamp, page))
                result.unchanged += 1
                continue
            fetched.append(_Fetched(link, stamp, page))
        return fetched

    def _drop_duplicates(self, feed: Feed, fetched: list[_Fetched], result: PollResult
                         ) -> list[_Fetched]:
        """Entries whose article text another entry (or an earlier one here) already holds."""
        fresh: list[_Fetched] = []
        seen: dict[str, str] = {}
        for item in fetched:
            content = item.page.content_sha256
            name = source_name(item.link)
            holder = seen.get(content) or self.registry.holder_of(content)
            if holder is not None and holder != name:
                self.registry.remember(feed, item.link, Entry(item.stamp, content, holder))
                result.duplicates += 1
                continue
            seen[content] = name
            fresh.append(item)
        return fresh

    def _remember(self, feed: Feed, item: _Fetched) -> None:
        self.registry.remember(feed, item.link, Entry(item.stamp, item.page.content_sha256,
                                                      source_name(item.link)))


class BackgroundPolling:
    """Polls due feeds on a daemon thread until stopped (`rag serve`). Fetching and
    embedding happen on this thread; requests only wait for the store's write lock."""

    def __init__(self, kb: KnowledgeBase, check_every_s: float = 30.0) -> None:
        self.kb = kb
        self.check_every_s = check_every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="feed-polling", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.check_every_s):
            try:
                for result in self.kb.poll_feeds(due_only=True):
                    log.info("polled %s: %s", result.feed, result.status)
            except Exception:  # the registry itself failed; try again at the next check
                log.exception("feed polling failed")
