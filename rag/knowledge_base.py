"""The service layer: what the CLI and the HTTP API call. Nothing here loads at construction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from rag.articles import parse_article_bytes
from rag.embeddings import Embedder, make_embedder
from rag.errors import SourceNotFoundError
from rag.ingest import Ingestor, IngestReport
from rag.records import Hit, SourceRecord
from rag.settings import Settings
from rag.store import ChunkStore


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

    def ingest(self, paths: Iterable[Path], prune: bool = False, progress: bool = False
               ) -> IngestReport:
        return Ingestor(self.settings, self.store, self.embedder).run(paths, prune, progress)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """Dense search: the `k` chunks nearest to the query."""
        if not query.strip():
            return []
        return self.store.query(self.embedder.embed_query(query), k)

    def documents(self) -> list[SourceRecord]:
        return sorted(self.store.sources().values(), key=lambda r: r.source)

    def document(self, source: str) -> Document:
        """A source's metadata and its cleaned article text (None if the file is gone)."""
        record = self.store.sources().get(source)
        if record is None:
            raise SourceNotFoundError(f"no ingested source named {source!r}; "
                                      "see `rag documents`")
        path = Path(record.path)
        text = None
        if path.is_file():
            article = parse_article_bytes(path.read_bytes(), path.suffix.lower(), path.stem)
            text = article.body_text
        return Document(record, text)

    def delete(self, source: str) -> SourceRecord:
        record = self.store.sources().get(source)
        if record is None:
            raise SourceNotFoundError(f"no ingested source named {source!r}; "
                                      "see `rag documents`")
        self.store.delete_source(source)
        return record

    def reindex(self, progress: Any = None) -> int:
        return self.store.reindex(progress)
