"""Where the passages behind an answer disagree, and how: a contradiction, an update, a name.

A disagreement is a set of claims, each a passage and (where known) the
answer it gives. Two sources of them:

- **values**: the model, in the same pass that drafts the answer, lists each
  distinct answer the passages give (`rag.drafting`); the ones the verifier
  confirms and `same_value` cannot reconcile are sides of a disagreement;
- **denials**: two passages from different dates about the same thing where
  exactly one is negated or a denial ("denied reports that joint operations
  had resumed" against "joint operations have resumed"), found without a model.

Its kind follows from the dates: claims published on different days are an
`update` (news is revised: the newest report is the current state and the
older one is history), claims that are undated or of one day a
`contradiction` (nothing says which is right). Passages about different things
that share a name are `same_name`: the answer says which is which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from rag.context import Passage, cosine
from rag.errors import MalformedReplyError
from rag.llm import LLM
from rag.prompting import render
from rag.terms import has_negation, terms

Kind = Literal["contradiction", "update", "same_name"]

# How each kind's note (prompts/conflict_note.j2) begins: where an answer's own claims end.
NOTE_START = re.compile(r"(?:Sources disagree|Reports changed over time|Different things share "
                        r"this name):")

MIN_SIMILARITY = 0.45
MIN_SHARED_TERMS = 2
# Without embedding similarity, the shared terms alone must be many and a fair share.
MIN_SHARED_TERMS_ALONE = 4
MIN_SHARED_FRACTION = 0.25


@dataclass(frozen=True)
class Claim:
    """One side: what `passage` says, and the answer it gives (`value`), when known."""

    passage: Passage
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        p = self.passage
        return {"n": p.n, "source": p.source, "published": p.published, "outlet": p.outlet,
                "quote": p.text, "value": self.value}


@dataclass(frozen=True)
class Conflict:
    """Claims that disagree, oldest first (undated ones last)."""

    kind: Kind
    claims: tuple[Claim, ...]

    @property
    def newest(self) -> Claim | None:
        """The most recent claim, when every claim is dated and one date is the latest."""
        dates = [c.passage.published for c in self.claims]
        if self.kind == "same_name" or not all(dates):
            return None
        latest = max(d for d in dates if d)
        return self.claims[dates.index(latest)] if dates.count(latest) == 1 else None

    @property
    def passages(self) -> list[Passage]:
        return [c.passage for c in self.claims]

    def as_dict(self) -> dict[str, Any]:
        newest = self.newest
        return {"summary": render("conflict_summary", conflict=self),
                "sources": list(dict.fromkeys(p.source for p in self.passages)),
                "kind": self.kind,
                "claims": [c.as_dict() for c in self.claims],
                "newest": newest.passage.source if newest else None}

    def note(self) -> str:
        """The sentences the answer carries about this disagreement, each side in its
        own words with date and outlet."""
        return render("conflict_note", conflict=self)

    def concerns(self, passage: Passage) -> bool:
        """Whether an answer citing `passage` draws on this disagreement: the passage is
        one side of it, or says the same as one side, in that side's article."""
        return any(
            passage.n == side.n or (
                passage.source == side.source
                and has_negation(passage.text) == has_negation(side.text)
                and _same_topic(passage, side, cosine(passage.vector, side.vector)))
            for side in self.passages)


def of_claims(claims: list[Claim], same_name: bool = False) -> Conflict:
    """A disagreement between `claims`: ordered oldest first, its kind read from the dates."""
    ordered = sorted(claims, key=lambda c: (c.passage.published is None,
                                            c.passage.published or ""))
    dates = {c.passage.published for c in ordered}
    kind: Kind = ("same_name" if same_name
                  else "update" if None not in dates and len(dates) > 1 else "contradiction")
    return Conflict(kind, tuple(ordered))


def share_a_name(llm: LLM, question: str, a: Passage, b: Passage) -> bool:
    """Whether two passages giving different answers are about different things that share
    a name (two towns called Springfield), by one constrained choice of the model."""
    messages = [{"role": "system", "content": render("same_subject_system")},
                {"role": "user", "content": render("same_subject_user", question=question,
                                                   a=a, b=b)}]
    try:
        odds = llm.choose(messages, ["same", "different"])
    except MalformedReplyError:
        return False
    return odds["different"] > odds["same"]


def find_conflicts(passages: list[Passage], min_relevance: float) -> list[Conflict]:
    """Denials: at most one per pair of sources, their most similar contradicting passages."""
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
            conflict = of_claims([Claim(a), Claim(b)])
            key = (conflict.claims[0].passage.source, conflict.claims[1].passage.source)
            if key not in best or similarity > best[key][0]:
                best[key] = (similarity, conflict)
    return [conflict for _, conflict in sorted(best.values(), key=lambda row: -row[0])]


def _same_topic(a: Passage, b: Passage, similarity: float) -> bool:
    terms_a, terms_b = set(terms(a.text)), set(terms(b.text))
    shared = len(terms_a & terms_b)
    if similarity >= MIN_SIMILARITY and shared >= MIN_SHARED_TERMS:
        return True
    smaller = min(len(terms_a), len(terms_b)) or 1
    return shared >= MIN_SHARED_TERMS_ALONE and shared / smaller >= MIN_SHARED_FRACTION
