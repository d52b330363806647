"""Hybrid retrieval: dense and BM25 rankings fused, aware of outlets and dates in the question.

Reciprocal rank fusion adds weight/(60 + rank) over every ranking a chunk
appears in. Besides the dense and BM25 rankings over the whole store, a
question that names an outlet ("...reported by The Verge and Fortune") adds
both rankings restricted to those outlets, and a question that names a date or
month adds a ranking of the candidates published then. The fused list is then
capped per source, so one long article cannot crowd out the others a
multi-article question needs.

The embedder reads the question's topic only: outlet names and framing words
("the article", "reported by") are handled by the outlet filter and would only
pull the question vector away from the passages. Dense rankings weigh
`dense_weight` against BM25's 1.0: news questions hinge on names and numbers,
which a small embedding model blurs (see eval/benchmarks/retrieval_quality.py).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from rag.dates import MONTHS, find_date
from rag.embeddings import Embedder
from rag.lexical import LexicalIndex
from rag.postings import day_number
from rag.records import Hit, StoredChunk
from rag.settings import RetrievalSettings
from rag.store import ChunkStore
from rag.timewords import period, wants_latest

RRF_K = 60
# Chroma filters by metadata before its graph search, at a cost that grows with the archive
# (at a million chunks: 1 s for three sources, 3-11 s for an as-of date), so its filter
# serves archives of at most FILTERED_MAX chunks. Beyond that, a filter that admits at most
# EXACT_MAX chunks has their vectors compared directly (1,000 read in about 60 ms), and one
# that admits more has them kept from the nearest chunks of the whole archive, read wide
# enough to hold about twice the candidates wanted (at most WIDE chunks).
FILTERED_MAX, EXACT_MAX, WIDE = 20_000, 2_000, 1_000
_MONTH_YEAR = re.compile(r"\b(" + "|".join(sorted(MONTHS, key=len, reverse=True)) +
                         r")\.?\s+(?:of\s+)?((?:19|20)\d\d)\b", re.I)


def outlet_aliases(outlet: str) -> set[str]:
    """Lower-case names a question may use for an outlet ("The Verge" -> "verge", ...)."""
    name = outlet.lower().strip()
    aliases = {name}
    for separator in (" | ", " - ", " – ", " (", ": "):
        aliases.add(name.split(separator)[0].strip())
    for alias in list(aliases):
        aliases.add(alias.removeprefix("the ").strip())
        aliases.add(re.sub(r"\.(com|net|org|co\.uk)$", "", alias))
    if agency := re.search(r"\(([^)]+)\)", name):
        aliases.add(agency.group(1))
    return {alias for alias in aliases if len(alias) >= 3}


def mentioned_outlets(question: str, outlets: Sequence[str]) -> list[str]:
    text = f" {re.sub(r'[^a-z0-9. ]+', ' ', question.lower())} "
    return sorted(outlet for outlet in outlets
                  if any(f" {alias} " in text for alias in outlet_aliases(outlet)))


def mentioned_periods(question: str) -> list[str]:
    """Dates (`YYYY-MM-DD`) and months (`YYYY-MM`) the question names, as date prefixes."""
    periods: list[str] = []
    if day := find_date(question):
        periods.append(day.isoformat())
    for match in _MONTH_YEAR.finditer(question):
        periods.append(f"{match.group(2)}-{MONTHS[match.group(1).lower()]:02}")
    return periods


_FRAMING = re.compile(r"\b(?:according to|(?:as )?reported by|articles?|reports?|reported)\b", re.I)


def asks_about_sources(question: str, outlets: Sequence[str]) -> bool:
    """Whether the question is about what given sources said ("Did The Verge report ...?",
    "according to the article") rather than about the state of things."""
    return bool(_FRAMING.search(question) or mentioned_outlets(question, outlets))


def topic_query(question: str, outlets: Sequence[str]) -> str:
    """`question` without the outlet names it mentions and words that frame it as about articles."""
    names = sorted({alias for outlet in outlets for alias in outlet_aliases(outlet) | {outlet}},
                   key=len, reverse=True)
    text = question
    for name in names:
        text = re.sub(r"(?<!\w)(?:the\s+)?['‘’\"]?" + re.escape(name) + r"['‘’\"]?(?!\w)",
                      " ", text, flags=re.I)
    text = re.sub(r"\s+", " ", _FRAMING.sub(" ", text)).strip()
    return text or question


def fuse(rankings: Sequence[tuple[float, Sequence[str]]]) -> dict[str, float]:
    """Weighted reciprocal rank fusion of `(weight, ranking)` pairs: id -> score, best first."""
    scores: dict[str, float] = defaultdict(float)
    for weight, ranking in rankings:
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] += weight / (RRF_K + rank + 1)
    return dict(sorted(scores.items(), key=lambda item: -item[1]))


class HybridRetriever:
    def __init__(self, store: ChunkStore, embedder: Embedder, lexical: LexicalIndex,
                 settings: RetrievalSettings) -> None:
        self.store = store
        self.embedder = embedder
        self.lexical = lexical
        self.settings = settings

    def retrieve(self, question: str, k: int, as_of: date | None = None,
                 sources: Sequence[str] | None = None) -> list[Hit]:
        """The `k` best chunks for `question`, best first, at most `per_source` per source.

        A hit's score is its fusion score: comparable within one result list only.
        """
        if not question.strip() or self.lexical.count() == 0:
            return []
        n = self.settings.candidates

        found: dict[str, StoredChunk] = {}

        def dense(outlets: list[str] | None = None) -> list[str]:
            chunks = self._dense(vector, n, as_of, sources, outlets)
            found.update((chunk.id, chunk) for chunk in chunks)
            return [chunk.id for chunk in chunks]

        def lexical(outlets: list[str] | None = None) -> list[str]:
            pairs = self.lexical.search(question, n, as_of, sources, outlets)
            for chunk, _ in pairs:
                found.setdefault(chunk.id, chunk)
            return [chunk.id for chunk, _ in pairs]

        outlets = mentioned_outlets(question, self.lexical.outlets())
        vector = self.embedder.embed_query(topic_query(question, outlets))
        dense_weight = self.settings.dense_weight
        rankings = [(dense_weight, dense()), (1.0, lexical())]
        if outlets:
            rankings.append((dense_weight, dense(outlets)))
            rankings.append((1.0, lexical(outlets)))
        fused = fuse(rankings)
        # Dates the question names, and its time words ("this week", "on Wednesday") read
        # against the as-of date: reports of that period rank higher. A question about
        # the current state ranks the newest reports higher.
        periods = mentioned_periods(question)
        window = period(question, as_of or date.today())
        timely: list[tuple[float, list[str]]] = []
        if periods:
            timely.append((1.0, [cid for cid in fused if _in_periods(found[cid], periods)]))
        if window is not None:
            timely.append((1.0, [cid for cid in fused if window.holds(found[cid].published)]))
        if wants_latest(question):
            dated = [cid for cid in fused if found[cid].published]
            timely.append((dense_weight, sorted(dated, key=lambda cid: found[cid].published
                                                or "", reverse=True)))
        if timely:
            fused = fuse(rankings + timely)

        # One copy of a syndicated story: the best-ranked source speaks for its group.
        group_of = self.store.copies.groups(list({found[cid].source for cid in fused}))
        speaker: dict[str, str] = {}
        chosen: list[Hit] = []
        per_source: dict[str, int] = defaultdict(int)
        for chunk_id, score in fused.items():
            source = found[chunk_id].source
            if speaker.setdefault(group_of[source], source) != source:
                continue
            if per_source[source] < self.settings.per_source:
                chosen.append(Hit(found[chunk_id], score))
                per_source[source] += 1
            if len(chosen) == k:
                break
        return chosen

    def _dense(self, vector: list[float], n: int, as_of: date | None,
               sources: Sequence[str] | None, outlets: Sequence[str] | None
               ) -> list[StoredChunk]:
        """The `n` chunks nearest `vector` among those the filters admit, nearest first."""
        if as_of is None and not sources and not outlets:
            return [hit.chunk for hit in self.store.query(vector, n)]
        total = self.lexical.count()
        if total <= FILTERED_MAX:
            where = _where(as_of, sources, outlets)
            return [hit.chunk for hit in self.store.query(vector, n, where)]
        held, ids = self.lexical.admitted(EXACT_MAX, as_of, sources, outlets)
        if held == 0:
            return []
        if held <= EXACT_MAX:
            nearest = self.store.similar(vector, ids, n)
        else:
            nearest = self.store.nearest(vector, min(WIDE, math.ceil(2 * n * total / held)))
        rows = self.lexical.chunks([chunk_id for chunk_id, _ in nearest])
        kept = [rows[chunk_id] for chunk_id, _ in nearest
                if chunk_id in rows and _admits(rows[chunk_id], as_of, sources, outlets)]
        return kept[:n]


def _admits(chunk: StoredChunk, as_of: date | None, sources: Sequence[str] | None,
            outlets: Sequence[str] | None) -> bool:
    """Whether the filters admit `chunk`, as the lexical index's `admitted` counts it."""
    if as_of is not None and not 0 < day_number(chunk.published) <= day_number(
            as_of.isoformat()):
        return False
    return (not sources or chunk.source in sources) and (not outlets or chunk.outlet in outlets)


def _where(as_of: date | None, sources: Sequence[str] | None,
           outlets: Sequence[str] | None = None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if as_of is not None:
        # Undated articles cannot be shown to precede `as_of`; they are left out.
        clauses.append({"published_day": {"$lte": int(as_of.strftime("%Y%m%d"))}})
        clauses.append({"published_day": {"$gte": 1}})
    if sources:
        clauses.append({"source": {"$in": list(sources)}})
    if outlets:
        clauses.append({"outlet": {"$in": list(outlets)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _in_periods(chunk: StoredChunk, periods: list[str]) -> bool:
    return bool(chunk.published) and any(chunk.published.startswith(prefix)
                                         for prefix in periods)
