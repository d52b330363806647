"""The service layer: what the CLI and the HTTP API call. Nothing here loads at construction."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from rag.articles import parse_article_bytes
from rag.embeddings import Embedder, make_embedder
from rag.embeddings.cached import CachedEmbedder
from rag.errors import ArticleError, ConfigError, HostNotFoundError, RagError, SourceNotFoundError
from rag.feeds import Feed, FeedRegistry
from rag.fetch import check_address, fetch
from rag.ingest import Ingestor, IngestReport, SourceFile
from rag.lexical import LexicalIndex
from rag.llm import LLM, make_llm
from rag.polling import FeedPoller, PollResult
from rag.records import Hit, SourceRecord
from rag.retrieval import HybridRetriever
from rag.settings import Settings
from rag.store import ChunkStore
from rag.uploads import check_article, safe_filename, write_atomically
from rag.webpage import Snapshot, snapshot, source_name

if TYPE_CHECKING:  # imported where used: `rag search` and ingest never load the answer chain
    from rag.answer import Answer, AnswerChain
    from rag.summarize import Summarizer, Summary


@dataclass(frozen=True)
class Document:
    record: SourceRecord
    text: str | None

    def as_dict(self) -> dict[str, Any]:
        return {**self.record.summary(), "path": self.record.path, "text": self.text}


class KnowledgeBase:
    """Thread-safe: reads run concurrently, writes (ingest, upload, delete) one at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._writes = threading.RLock()

    @property
    def upload_dir(self) -> Path:
        return self.settings.data_dir / "uploads"

    @property
    def web_dir(self) -> Path:
        """Snapshots of fetched pages, one file per address (`rag.webpage.source_name`)."""
        return self.settings.data_dir / "web"

    @cached_property
    def embedder(self) -> Embedder:
        return make_embedder(self.settings)

    @cached_property
    def sentence_embedder(self) -> CachedEmbedder:
        """The embedder answers and summaries score sentences with: it remembers them."""
        return CachedEmbedder(self.embedder)

    @cached_property
    def store(self) -> ChunkStore:
        return ChunkStore(self.settings, self.embedder)

    @cached_property
    def lexical(self) -> LexicalIndex:
        return self.store.lexical()

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.store, self.embedder, self.lexical, self.settings.retrieval)

    @cached_property
    def llm(self) -> LLM | None:
        return make_llm(self.settings)

    @cached_property
    def answers(self) -> AnswerChain:
        from rag.answer import AnswerChain

        return AnswerChain(self.settings, self.retriever, self.sentence_embedder, self.llm)

    @cached_property
    def summaries(self) -> Summarizer:
        from rag.summarize import Summarizer

        return Summarizer(self.settings, self.store, self.retriever, self.sentence_embedder,
                          self.llm)

    def summarize(self, source: str | None = None, topic: str | None = None,
                  as_of: date | None = None, sources: Sequence[str] | None = None,
                  form: str | None = None, sentences: int | None = None,
                  words: int | None = None) -> Summary:
        """Summarize one source, chosen sources, or a topic across sources; exactly one of
        `source`, `sources` and `topic` must be given. `form`, `sentences` and `words`
        default to the settings (RAG_SUMMARY_FORM, RAG_SUMMARY_SENTENCES, RAG_SUMMARY_WORDS)."""
        if sum(value is not None for value in (source, topic, sources)) != 1:
            raise ConfigError("summarize needs exactly one of a source, sources or a topic")
        if source is not None:
            return self.summaries.article(source, form, sentences, words)
        if sources is not None:
            if not sources:
                raise ConfigError("summarize needs at least one source")
            return self.summaries.articles(sources, form, sentences, words)
        return self.summaries.topic(topic or "", as_of=as_of, form=form, sentences=sentences,
                                    words=words)

    def ingest(self, paths: Iterable[Path], prune: bool = False, progress: bool = False
               ) -> IngestReport:
        with self._writes:
            return Ingestor(self.settings, self.store, self.embedder).run(paths, prune, progress)

    def add_files(self, files: Sequence[tuple[str, bytes]]) -> tuple[IngestReport, list[str]]:
        """Save uploaded articles under `upload_dir` and ingest them.

        Each name is made safe first, and each file is checked (size, type,
        parseable) before it is written, so a bad upload never replaces a good
        file of the same name. Returns the ingest report and the source names.
        """
        report = IngestReport()
        accepted: dict[str, bytes] = {}
        for name, raw in files:
            try:
                safe = safe_filename(name)
                check_article(safe, raw, self.settings.ingest.max_file_bytes)
            except ArticleError as exc:
                report.failed.append({"path": name, "error": str(exc)})
                continue
            accepted[safe] = raw
        if not accepted:
            return report, []
        with self._writes:
            paths = []
            for safe, raw in accepted.items():
                write_atomically(self.upload_dir / safe, raw)
                paths.append(self.upload_dir / safe)
            done = self.ingest(paths)
        done.failed[:0] = report.failed
        return done, list(accepted)

    def add_urls(self, urls: Sequence[str], progress: bool = False
                 ) -> tuple[IngestReport, list[str]]:
        """Fetch pages, keep each article as a snapshot under `web_dir` and ingest them.

        A page that cannot be fetched or holds no article is a failure of its own;
        the others are ingested. Fetching an address again replaces its chunks when
        the article changed. Returns the ingest report and the source names.
        """
        report = IngestReport()
        fetched: list[Snapshot] = []
        for url in tqdm(urls, unit="page", desc="fetch", disable=not progress):
            try:
                fetched.append(self.fetch_snapshot(url))
            except ArticleError as exc:
                report.failed.append({"path": url, "error": str(exc)})
        done, sources = self.add_snapshots(fetched)
        done.failed[:0] = report.failed
        return done, sources

    def fetch_snapshot(self, url: str) -> Snapshot:
        """The article at `url`; FetchError (an ArticleError) says why there is none."""
        page = fetch(url, self.settings.fetch)
        return snapshot(page.text(), url)

    def add_snapshots(self, snapshots: Sequence[Snapshot]) -> tuple[IngestReport, list[str]]:
        """Write snapshots under `web_dir` (named after their addresses) and ingest them."""
        if not snapshots:
            return IngestReport(), []
        with self._writes:
            files = {}
            for page in snapshots:
                name = source_name(page.url)
                write_atomically(self.web_dir / name, page.as_file().encode())
                files[name] = SourceFile((self.web_dir / name).resolve(), name)
            report = Ingestor(self.settings, self.store, self.embedder).run_files(
                list(files.values()))
        return report, list(files)

    # -- feeds -------------------------------------------------------------------------------

    @cached_property
    def feeds(self) -> FeedRegistry:
        return FeedRegistry(self.settings.data_dir / "feeds.sqlite3")

    def add_feed(self, url: str, every_s: int | None = None) -> Feed:
        """Follow a feed; polled when next due. An address the service may not fetch is
        refused; one that does not resolve now is followed (its polls say why they fail)."""
        with contextlib.suppress(HostNotFoundError):
            check_address(url, self.settings.fetch.allow_private)
        return self.feeds.add(url, every_s or self.settings.fetch.feed_every_s)

    def poll_feeds(self, due_only: bool = False, progress: bool = False) -> list[PollResult]:
        return FeedPoller(self, self.feeds).poll(due_only, progress)

    def search(self, query: str, k: int = 5, as_of: date | None = None,
               sources: list[str] | None = None) -> list[Hit]:
        """Hybrid (dense + BM25) search: the `k` best chunks, scored by cosine similarity."""
        return self.retriever.retrieve(query, k, as_of, sources)

    def ask(self, question: str, k: int | None = None, as_of: date | None = None,
            sources: list[str] | None = None, on_token: Any = None) -> Answer:
        return self.answers.ask(question, k, as_of, sources, on_token)

    def documents(self) -> list[SourceRecord]:
        """Every source, with the other sources that hold the same article (its copies)."""
        records = self.store.sources()
        copies = self.store.copies.copies_of(list(records))
        return [replace(records[name], copies=tuple(c for c in copies[name] if c in records))
                for name in sorted(records)]

    def _record(self, source: str) -> SourceRecord:
        record = self.store.sources([source]).get(source)
        if record is None:
            raise SourceNotFoundError(source)
        return record

    def document(self, source: str) -> Document:
        """A source's metadata and its cleaned article text (None if the file is gone)."""
        record = self._record(source)
        path = Path(record.path)
        text = None
        if path.is_file():
            article = parse_article_bytes(path.read_bytes(), path.suffix.lower(), path.stem)
            text = article.body_text
        return Document(record, text)

    def delete(self, source: str) -> SourceRecord:
        """Remove a source's chunks, and its file if it came in as an upload."""
        with self._writes:
            record = self._record(source)
            self.store.delete_source(source)
            path = Path(record.path)
            if path.parent == self.upload_dir.resolve() or \
                    path.is_relative_to(self.web_dir.resolve()):
                path.unlink(missing_ok=True)
            return record

    def check(self) -> dict[str, str]:
        """Readiness of each part: "ok" or why not. Loads the embedder, not the LLM."""
        status: dict[str, str] = {}
        for part, probe in (("store", self.store.count),
                            ("embeddings", lambda: self.embedder.embed_query("ready")),
                            ("llm", lambda: self.llm.check() if self.llm else None)):
            try:
                probe()
                status[part] = "ok"
            except RagError as exc:
                status[part] = str(exc)
        return status

    def reindex(self, progress: Any = None) -> int:
        return self.store.reindex(progress)
