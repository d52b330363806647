"""Turn a model's `[n]`-marked sentences into verified citations, dropping what no passage states.

A citation names a passage (source file, quote, offsets). A sentence that is
passages' sentences word for word cites those passages, with no verdict. Any
other is kept only if the claim verifier finds that the passages it cites state it; one
that cites nothing, or cites passages that do not state it, gets one more
chance with the passage sharing most of its terms. A sentence no passage
states is dropped: it is never shipped with a citation marked supported.
Markers that name no passage are removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rag.articles import Span
from rag.chunking import split_sentences
from rag.context import Passage, evidence_label
from rag.terms import terms
from rag.verify import ClaimVerifier, Evidence, quoting

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_TRAILING_MARKERS = re.compile(r"([.!?…][\"'”’)]*)((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)")
MIN_CLAIM_TERMS = 3
MIN_SHARED_FOR_RETRY = 0.5


@dataclass(frozen=True)
class Carrier:
    """Another source that carried the same article (a syndicated copy)."""

    source: str
    outlet: str | None
    url: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "outlet": self.outlet, "url": self.url}


@dataclass(frozen=True)
class Citation:
    n: int
    passage: Passage
    supported: bool
    copies: tuple[Carrier, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        p = self.passage
        return {"n": self.n, "source": p.source, "title": p.title, "outlet": p.outlet,
                "published": p.published, "quote": p.text, "start": p.start, "end": p.end,
                "supported": self.supported, "copies": [c.as_dict() for c in self.copies]}


def evidence_of(passage: Passage) -> Evidence:
    """A passage as the verifier reads it, labelled with its outlet and date.

    The sentence alone, as in the labelled pairs the verifier was measured on: with
    the sentence before it added (for its "he" or "the base"), true answers scored
    lower and wrong ones no lower on the seeds questions.
    """
    return Evidence(passage.text, evidence_label(passage.outlet, passage.published))


def _numbers(group: str) -> list[int]:
    """The passage numbers in one marker's group: "2, 3" -> [2, 3]."""
    return [int(n) for n in re.split(r"\s*[,;]\s*", group)]


def split_answer(text: str) -> list[str]:
    """Sentences of a reply; markers written after the full stop move before it."""
    text = _TRAILING_MARKERS.sub(lambda m: f" {m.group(2).strip()}{m.group(1)}", text).strip()
    return [text[s.start : s.end] for s in split_sentences(text, Span(0, len(text)))]


def with_markers(sentence: str, numbers: list[int]) -> str:
    """`sentence` with its `[n]` markers before the closing punctuation: "... troops [2]."."""
    body = sentence.rstrip()
    end = len(body.rstrip(".!?\"'”’)"))
    marks = "".join(f"[{n}]" for n in numbers)
    return f"{body[:end]} {marks}{body[end:]}"


def _closest(plain: str, passages: list[Passage]) -> Passage | None:
    claim = set(terms(plain))
    if len(claim) < MIN_CLAIM_TERMS:
        return None
    best = max(passages, key=lambda p: len(claim & set(terms(p.text))))
    return best if len(claim & set(terms(best.text))) / len(claim) >= MIN_SHARED_FOR_RETRY \
        else None


def _copied(plain: str, cited: list[int], passages: list[Passage]) -> list[int] | None:
    """The numbers of the passages whose sentences `plain` is, word for word: the cited
    ones if they are, else any (a model copying a sentence often cites its neighbours);
    None when it is not a copy. A copy is stated by its passages, no verdict needed."""
    for pool in ([p for p in passages if p.n in cited], passages):
        if (used := quoting(plain, [p.text for p in pool])) is not None:
            return [pool[i].n for i in used]
    return None


def cite(text: str, passages: list[Passage], verifier: ClaimVerifier
         ) -> tuple[str, list[Citation]]:
    """The sentences of `text` that their passages state, with clean markers, and their
    citations in order of use (all supported: what is not, is not kept)."""
    by_n = {p.n: p for p in passages}
    kept: list[str] = []
    citations: dict[int, Citation] = {}
    for sentence in split_answer(text):
        plain = MARKER.sub("", sentence).strip()
        if not plain:
            continue
        cited = list(dict.fromkeys(n for group in MARKER.findall(sentence)
                                   for n in _numbers(group) if n in by_n))
        if (copied := _copied(plain, cited, passages)) is not None:
            cited, entailed = copied, True
        else:
            entailed = bool(cited) and verifier.check(
                plain, [evidence_of(by_n[n]) for n in cited]).entailed
        if not entailed and passages and (closest := _closest(plain, passages)) is not None \
                and [closest.n] != cited:
            cited = [closest.n]
            entailed = verifier.check(plain, [evidence_of(closest)]).entailed
        if not entailed:
            continue
        kept.append(with_markers(plain, cited))
        for n in cited:
            citations.setdefault(n, Citation(n, by_n[n], True))
    return " ".join(kept), list(citations.values())
