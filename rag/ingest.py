"""Ingest article files into the store: parse, clean, chunk, embed, write.

Idempotent and safe to interrupt. Chunk ids are derived from the source name,
a key over the file's bytes and the chunking settings, and the chunk index, so
writing a file twice leaves one copy. A file's old chunks are deleted only
after all its new ones are written, and a file counts as unchanged only when
the store and the lexical index both hold exactly its complete, current set of
chunks. An ingest killed at any point and run again therefore ends with exactly
the right chunks.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rag.articles import PARSER_VERSION, SUPPORTED_SUFFIXES, parse_article_bytes
from rag.chunking import chunk_article
from rag.embeddings import Embedder
from rag.errors import ArticleError
from rag.lexical import Holding
from rag.records import SourceRecord, StoredChunk
from rag.settings import Settings
from rag.store import ChunkStore, embedding_input

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks_added: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def merged(self, other: IngestReport) -> IngestReport:
        return IngestReport(
            self.added + other.added, self.updated + other.updated,
            self.unchanged + other.unchanged, self.deleted + other.deleted,
            self.chunks_added + other.chunks_added, self.failed + other.failed,
            self.skipped + other.skipped)

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted, "chunks_added": self.chunks_added,
                "failed": self.failed, "skipped": self.skipped}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    source: str


@dataclass
class _Pending:
    source: SourceFile
    key: str
    chunks: list[StoredChunk]
    replaces: bool
    stale: bool  # the store or the lexical index may hold chunks of it under another key
    text: str  # the article's body, for recognising copies of it


def discover(paths: Iterable[Path], report: IngestReport) -> list[SourceFile]:
    """Expand files and folders into source files named relative to the path given.

    A named file with an unsupported type is a failure; inside a folder such
    files (and hidden ones) are listed as skipped.
    """
    found: list[SourceFile] = []
    for given in paths:
        if given.is_dir():
            for path in sorted(given.rglob("*")):
                relative = path.relative_to(given)
                if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                    continue
                if path.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(SourceFile(path.resolve(), relative.as_posix()))
                else:
                    report.skipped.append(str(path))
        elif given.is_file():
            if given.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(SourceFile(given.resolve(), given.name))
            else:
                report.failed.append({"path": str(given), "error": (
                    f"unsupported file type {given.suffix or '(none)'!r}; supported: "
                    + ", ".join(sorted(SUPPORTED_SUFFIXES)))})
        else:
            report.failed.append({"path": str(given), "error": "no such file or directory"})
    return found


class Ingestor:
    def __init__(self, settings: Settings, store: ChunkStore, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder

    def ingest_key(self, sha256: str) -> str:
        """Changes when the file or anything that shapes its chunks changes."""
        chunking = self.settings.chunking
        material = f"{sha256}:{chunking.size}:{chunking.overlap}:{PARSER_VERSION}"
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    def run(self, paths: Iterable[Path], prune: bool = False, progress: bool = False
            ) -> IngestReport:
        report = IngestReport()
        return self.run_files(discover(paths, report), report, prune, progress)

    def run_files(self, files: list[SourceFile], report: IngestReport | None = None,
                  prune: bool = False, progress: bool = False) -> IngestReport:
        """Ingest files under the source names they come with."""
        report = report or IngestReport()
        existing = self.store.sources(None if prune else [f.source for f in files])
        indexed = self.store.lexical().holdings(existing.keys() | {f.source for f in files})
        signed = self.store.copies.keys([f.source for f in files])
        unsettled = self.store.lexical().unsettled(f.source for f in files)
        seen: dict[str, Path] = {}
        pending: list[_Pending] = []
        checked: list[str] = []  # unsettled, yet found whole in Chroma and the index alike
        for item in tqdm(files, unit="file", disable=not progress, desc="ingest"):
            if item.source in seen:
                report.failed.append({"path": str(item.path), "error": (
                    f"another file ({seen[item.source]}) is also named {item.source!r}; "
                    "ingest the two folders separately or rename one")})
                continue
            seen[item.source] = item.path
            try:
                prepared = self._prepare(item, existing, indexed, signed)
            except ArticleError as exc:
                report.failed.append({"path": str(item.path), "error": str(exc)})
                continue
            if prepared is None:
                report.unchanged += 1
                if item.source in unsettled:
                    checked.append(item.source)
                continue
            pending.append(prepared)
            if sum(len(p.chunks) for p in pending) >= self.settings.ingest.batch_chunks:
                self._flush(pending, report)
                pending = []
        self._flush(pending, report)
        self.store.lexical().settle(None, checked)
        if prune:
            for source, record in existing.items():
                if source not in seen and record.path and not Path(record.path).exists():
                    self.store.delete_source(source)
                    report.deleted += 1
                    log.info("pruned %s (%s is gone)", source, record.path)
            # Left in the lexical index alone by a deletion killed half-way.
            for source in self.store.lexical().holdings().keys() - existing.keys() - seen.keys():
                self.store.delete_source(source)
        return report

    def _prepare(self, item: SourceFile, existing: dict[str, SourceRecord],
                 indexed: dict[str, Holding], signed: dict[str, str]) -> _Pending | None:
        try:
            raw = item.path.read_bytes()
        except OSError as exc:
            raise ArticleError(f"cannot read file: {exc.strerror or exc}") from None
        limit = self.settings.ingest.max_file_bytes
        if len(raw) > limit:
            raise ArticleError(f"file is {len(raw):,} bytes, over the {limit:,}-byte limit "
                               "(RAG_MAX_FILE_BYTES)")
        sha256 = hashlib.sha256(raw).hexdigest()
        key = self.ingest_key(sha256)
        record = existing.get(item.source)
        unchanged = record is not None and record.complete and key in record.keys and \
            indexed.get(item.source) == Holding(record.keys, record.chunks)
        if unchanged and signed.get(item.source) == key:
            return None
        article = parse_article_bytes(raw, item.path.suffix.lower(), item.path.stem)
        if unchanged:  # stored before copies were recognised, or killed before its signature
            self.store.copies.add(item.source, key, article.body_text)
            return None
        pieces = chunk_article(article, self.settings.chunking.size,
                               self.settings.chunking.overlap)
        published = article.published.isoformat() if article.published else None
        chunks = [
            StoredChunk(source=item.source, path=str(item.path), title=article.title,
                        published=published, outlet=article.outlet, chunk=piece.index,
                        start=piece.start, end=piece.end, sha256=sha256, key=key,
                        total=len(pieces), embedding_model=self.embedder.model_id,
                        text=piece.text, url=article.url)
            for piece in pieces
        ]
        replaces = record is not None and bool(record.keys - {key})
        stale = record is not None or item.source in indexed
        return _Pending(item, key, chunks, replaces, stale, article.body_text)

    def _flush(self, pending: list[_Pending], report: IngestReport) -> None:
        if not pending:
            return
        chunks = [chunk for item in pending for chunk in item.chunks]
        vectors = self.embedder.embed_documents([embedding_input(c.title, c.text) for c in chunks])
        with self.store.writing(item.source.source for item in pending):
            self.store.write(chunks, vectors)
            for item in pending:
                if item.stale:
                    self.store.delete_source(item.source.source, keep_key=item.key)
        for item in pending:
            self.store.copies.add(item.source.source, item.key, item.text)
            report.chunks_added += len(item.chunks)
            if item.replaces:
                report.updated += 1
            else:
                report.added += 1
            log.info("ingested %s (%d chunks)", item.source.source, len(item.chunks))
