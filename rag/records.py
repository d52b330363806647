"""What is stored per chunk, and how it maps to Chroma metadata."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class StoredChunk:
    """One chunk as stored: `text == file_text[start:end]` of the file at `path`."""

    source: str
    path: str
    title: str
    published: str | None
    outlet: str | None
    chunk: int
    start: int
    end: int
    sha256: str
    key: str
    total: int
    embedding_model: str
    text: str
    url: str | None = None

    @property
    def id(self) -> str:
        return f"{self.source}#{self.key}#{self.chunk}"

    def metadata(self) -> dict[str, Any]:
        values = asdict(self)
        del values["text"]
        # Chroma filters compare numbers only; a date as YYYYMMDD makes `--as-of` a filter.
        values["published_day"] = int(self.published.replace("-", "")) if self.published else 0
        return {name: value for name, value in values.items() if value is not None}

    @classmethod
    def from_chroma(cls, metadata: dict[str, Any], text: str) -> StoredChunk:
        return cls(
            source=metadata["source"], path=metadata.get("path", ""), title=metadata["title"],
            published=metadata.get("published"), outlet=metadata.get("outlet"),
            chunk=int(metadata["chunk"]), start=int(metadata["start"]), end=int(metadata["end"]),
            sha256=metadata["sha256"], key=metadata["key"], total=int(metadata["total"]),
            embedding_model=metadata["embedding_model"], text=text, url=metadata.get("url"),
        )


@dataclass(frozen=True)
class SourceRecord:
    """What the store holds of one source, aggregated over its chunks."""

    source: str
    path: str
    title: str
    published: str | None
    outlet: str | None
    sha256: str
    keys: frozenset[str]
    chunks: int
    expected: int
    url: str | None = None
    copies: tuple[str, ...] = ()  # other sources holding the same article

    @property
    def complete(self) -> bool:
        return len(self.keys) == 1 and self.chunks == self.expected

    def summary(self) -> dict[str, Any]:
        return {"source": self.source, "title": self.title, "published": self.published,
                "outlet": self.outlet, "chunks": self.chunks, "sha256": self.sha256,
                "url": self.url, "copies": list(self.copies)}


def source_records(chunks: Iterable[Mapping[str, Any]]) -> dict[str, SourceRecord]:
    """Records per source from its chunks' metadata (as in `StoredChunk.metadata`): the
    title and the rest come from the first chunk of the newest key."""
    rows: dict[str, list[Mapping[str, Any]]] = {}
    for metadata in chunks:
        rows.setdefault(metadata["source"], []).append(metadata)
    records = {}
    for source, metas in rows.items():
        newest = max(metas, key=lambda m: (m["chunk"] == 0, m["key"]))
        records[source] = SourceRecord(
            source=source, path=newest.get("path") or "", title=newest["title"],
            published=newest.get("published"), outlet=newest.get("outlet"),
            sha256=newest["sha256"], keys=frozenset(m["key"] for m in metas),
            chunks=len(metas), expected=int(newest["total"]), url=newest.get("url"))
    return records


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float

    def as_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {"source": c.source, "title": c.title, "published": c.published,
                "outlet": c.outlet, "chunk": c.chunk, "start": c.start, "end": c.end,
                "text": c.text, "url": c.url, "score": round(self.score, 6)}
