"""The service layer: what the CLI and the HTTP API call. Nothing here loads at construction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from rag.answer import Answer, AnswerChain
from rag.articles import parse_article_bytes
from rag.embeddings import Embedder, make_embedder
from rag.errors import ConfigError, SourceNotFoundError
from rag.ingest import Ingestor, IngestReport
from rag.lexical import LexicalIndex
from rag.llm import LLM, make_llm
from rag.records import Hit, SourceRecord
from rag.retrieval import HybridRetriever
from rag.settings import Settings
from rag.store import ChunkStore
from rag.summarize import Summarizer, Summary


@dataclass(frozen=True)
class Document:
    record: SourceRecord
    text: str | None

    def as_dict(self) -> dict[str, Any]:
        return {**self.record.summary(), "path": self.record.path, "text": self.text}


class KnowledgeBase:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def embedder(self) -> Embedder:
        return make_embedder(self.settings)

    @cached_property
    def store(self) -> ChunkStore:
        return ChunkStore(self.settings, self.embedder)

    @cached_property
    def lexical(self) -> LexicalIndex:
        return LexicalIndex(self.store)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.store, self.embedder, self.lexical, self.settings.retrieval)

    @cached_property
    def llm(self) -> LLM | None:
        return make_llm(self.settings)

    @cached_property
    def answers(self) -> AnswerChain:
        return AnswerChain(self.settings, self.retriever, self.embedder, self.llm)

    @cached_property
    def summaries(self) -> Summarizer:
        return Summarizer(self.settings, self.store, self.retriever, self.embedder, self.llm)

    def summarize(self, source: str | None = None, topic: str | None = None,
                  as_of: date | None = None) -> Summary:
        """Summarize one source, or a topic across sources; exactly one must be given."""
        if (source is None) == (topic is None):
            raise ConfigError("summarize needs exactly one of a source or a topic")
        if source is not None:
            return self.summaries.article(source)
        return self.summaries.topic(topic or "", as_of=as_of)

    def ingest(self, paths: Iterable[Path], prune: bool = False, progress: bool = False
               ) -> IngestReport:
        return Ingestor(self.settings, self.store, self.embedder).run(paths, prune, progress)

    def search(self, query: str, k: int = 5, as_of: date | None = None,
               sources: list[str] | None = None) -> list[Hit]:
        """Hybrid (dense + BM25) search: the `k` best chunks, scored by cosine similarity."""
        return self.retriever.retrieve(query, k, as_of, sources)

    def ask(self, question: str, k: int | None = None, as_of: date | None = None,
            sources: list[str] | None = None, on_token: Any = None) -> Answer:
        return self.answers.ask(question, k, as_of, sources, on_token)

    def documents(self) -> list[SourceRecord]:
        return sorted(self.store.sources().values(), key=lambda r: r.source)

    def _record(self, source: str) -> SourceRecord:
        record = self.store.sources().get(source)
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
        record = self._record(source)
        self.store.delete_source(source)
        return record

    def reindex(self, progress: Any = None) -> int:
        return self.store.reindex(progress)
