"""Find passages from different dates that contradict each other.

Two passages conflict when they come from different articles published on
different days, talk about the same thing (close in embedding space and
sharing content terms, or sharing many content terms whatever the embedder)
and exactly one of them is negated or a denial
("denied reports that joint operations had resumed" against "joint operations
have resumed"). The later one is reported as the more recent account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rag.context import Passage, cosine
from rag.prompting import render
from rag.terms import has_negation, terms

MIN_SIMILARITY = 0.45
MIN_SHARED_TERMS = 2
# Without embedding similarity, the shared terms alone must be many and a fair share.
MIN_SHARED_TERMS_ALONE = 4
MIN_SHARED_FRACTION = 0.25


@dataclass(frozen=True)
class Conflict:
    older: Passage
    newer: Passage

    def as_dict(self) -> dict[str, Any]:
        return {"summary": render("conflict_summary", older=self.older, newer=self.newer),
                "sources": [self.older.source, self.newer.source]}

    def note(self) -> str:
        return render("conflict_note", older=self.older, newer=self.newer)

    def concerns(self, passage: Passage) -> bool:
        """Whether an answer citing `passage` draws on this disagreement: the passage is
        one side of it, or says the same as one side, in that side's article."""
        return any(
            passage.n == side.n or (
                passage.source == side.source
                and has_negation(passage.text) == has_negation(side.text)
                and _same_topic(passage, side, cosine(passage.vector, side.vector)))
            for side in (self.older, self.newer))


def find_conflicts(passages: list[Passage], min_relevance: float) -> list[Conflict]:
    """At most one conflict per pair of sources: their most similar contradicting passages."""
    relevant = [p for p in passages if p.published and p.relevance >= min_relevance]
    best: dict[tuple[str, str], tuple[float, Conflict]] = {}
    for i, a in enumerate(relevant):
        for b in relevant[i + 1 :]:
            if a.source == b.source or a.published == b.published:
                continue
            if has_negation(a.text) == has_negation(b.text):
                continue
            similarity = cosine(a.vector, b.vector)
            if not _same_topic(a, b, similarity):
                continue
            older, newer = sorted((a, b), key=lambda p: p.published or "")
            key = (older.source, newer.source)
            if key not in best or similarity > best[key][0]:
                best[key] = (similarity, Conflict(older, newer))
    return [conflict for _, conflict in sorted(best.values(), key=lambda row: -row[0])]


def _same_topic(a: Passage, b: Passage, similarity: float) -> bool:
    terms_a, terms_b = set(terms(a.text)), set(terms(b.text))
    shared = len(terms_a & terms_b)
    if similarity >= MIN_SIMILARITY and shared >= MIN_SHARED_TERMS:
        return True
    smaller = min(len(terms_a), len(terms_b)) or 1
    return shared >= MIN_SHARED_TERMS_ALONE and shared / smaller >= MIN_SHARED_FRACTION
