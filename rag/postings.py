"""The lexical index's postings: a tantivy index of each chunk's search terms.

Tantivy ranks a question's terms by BM25 with block-max WAND, so a search reads
only the postings that can still reach the top, whatever the archive's size
(about 13 ms at a million chunks here, where SQLite FTS5, which scores every
chunk holding a term, took over a second). Filters (as-of day, sources,
outlets) are part of the query. A document holds the chunk's id, the fields the
filters need and its terms; everything else stays in the lexical index's
SQLite file, which is the record of what is stored.

Writers take turns through tantivy's lock file, also across processes: each
write opens a writer, commits and lets its merges finish. Readers reload before
each search, so a commit by any process is seen by the next search.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import tantivy

from rag.errors import StoreError

WRITER_HEAP = 32_000_000  # bytes; tantivy flushes a segment when a write outgrows it
LOCK_WAIT = 60.0  # seconds to wait for another process's writer


@dataclass(frozen=True)
class Posting:
    """One chunk as the postings know it: its id, what the filters test, its terms."""

    id: str
    source: str
    outlet: str | None
    published: str | None  # ISO date or None
    body: str  # space-separated terms


def day_number(published: str | None) -> int:
    """20210301 for "2021-03-01"; 0 for an undated chunk."""
    return int(published[:10].replace("-", "")) if published else 0


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("source", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("outlet", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
    return builder.build()


class Postings:
    """Thread-safe; the folder is shared between processes. Opened on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index: tantivy.Index | None = None
        self._opening = threading.Lock()
        self._writing = threading.Lock()

    def _open(self) -> tantivy.Index:
        with self._opening:
            if self._index is None:
                try:
                    self.folder.mkdir(parents=True, exist_ok=True)
                    index = tantivy.Index(_schema(), path=str(self.folder), reuse=True)
                    index.config_reader("Manual")
                except (OSError, ValueError) as exc:
                    raise StoreError(f"cannot open the postings at {self.folder}: {exc}") from exc
                self._index = index
            return self._index

    def exists(self) -> bool:
        return self.folder.is_dir() and tantivy.Index.exists(str(self.folder))

    def replace(self, ids: Sequence[str], postings: Sequence[Posting]) -> None:
        """Remove the documents of `ids`, then add `postings`, in one commit."""
        if not ids and not postings:
            return
        index = self._open()
        with self._writing:
            writer = self._writer(index)
            try:
                for chunk_id in ids:
                    writer.delete_documents_by_term("id", chunk_id)
                for p in postings:
                    writer.add_document(tantivy.Document(
                        id=p.id, source=p.source, outlet=p.outlet or "",
                        day=day_number(p.published), body=p.body))
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()  # releases the lock

    def _writer(self, index: tantivy.Index) -> tantivy.IndexWriter:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                return index.writer(heap_size=WRITER_HEAP, num_threads=1)
            except ValueError as exc:  # another process is writing
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise StoreError(f"cannot write the postings at {self.folder}: {exc}") \
                        from exc
                time.sleep(0.02)

    def search(self, query_terms: Sequence[str], limit: int, as_of: date | None = None,
               sources: Sequence[str] | None = None, outlets: Sequence[str] | None = None
               ) -> tuple[list[str], dict[str, int]]:
        """Ids of the `limit` best chunks by tantivy's BM25 among those the filters admit,
        and how many chunks hold each term (deleted ones count until tantivy merges).

        `as_of` admits dated chunks published on or before it; `sources` and `outlets`
        (when not empty) admit chunks of those sources or outlets.
        """
        index = self._open()
        index.reload()
        schema = index.schema
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", term))
             for term in query_terms])
        if filters := _filters(schema, as_of, sources, outlets):
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query)] + filters)
        searcher = index.searcher()
        hits = searcher.search(query, limit, count=False).hits
        frequency = {term: searcher.doc_freq("body", term) for term in set(query_terms)}
        return [searcher.doc(address)["id"][0] for _, address in hits], frequency

    def admitted(self, limit: int, as_of: date | None = None,
                 sources: Sequence[str] | None = None, outlets: Sequence[str] | None = None
                 ) -> tuple[int, list[str]]:
        """How many chunks the filters admit, and their ids when that is at most `limit`
        (else no ids)."""
        index = self._open()
        index.reload()
        filters = _filters(index.schema, as_of, sources, outlets)
        query = (tantivy.Query.boolean_query(filters) if filters
                 else tantivy.Query.all_query())
        searcher = index.searcher()
        held = searcher.search(query, 1, count=True).count or 0
        if held == 0 or held > limit:
            return held, []
        hits = searcher.search(query, held).hits
        return held, [searcher.doc(address)["id"][0] for _, address in hits]


def _filters(schema: tantivy.Schema, as_of: date | None, sources: Sequence[str] | None,
             outlets: Sequence[str] | None) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    """Clauses that admit dated chunks published on or before `as_of`, and chunks of
    `sources` and of `outlets` (each when given and not empty); they add nothing to a
    score."""
    filters = []
    if as_of is not None:
        filters.append(tantivy.Query.range_query(
            schema, "day", tantivy.FieldType.Integer, 1, day_number(as_of.isoformat())))
    for field, allowed in (("source", sources), ("outlet", outlets)):
        if allowed:
            filters.append(tantivy.Query.term_set_query(schema, field, list(allowed)))
    return [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters]
