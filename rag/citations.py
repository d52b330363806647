"""Turn a draft answer's `[n]` markers into verified citations.

A citation names a passage (source file, quote, offsets). It is `supported`
when the answer sentence that cites it is backed by the passage: most of the
sentence's content terms occur in it, or it is close in embedding space and
shares a fair part of them. Markers that point at no passage are dropped.
A claim the model left uncited is attributed to the passage that supports it
best, if one does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rag.articles import Span
from rag.chunking import split_sentences
from rag.context import Passage, cosine
from rag.embeddings import Embedder
from rag.terms import terms

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_TRAILING_MARKERS = re.compile(r"([.!?…][\"'”’)]*)((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)")
MIN_CLAIM_TERMS = 3


@dataclass(frozen=True)
class Citation:
    n: int
    passage: Passage
    supported: bool

    def as_dict(self) -> dict[str, Any]:
        p = self.passage
        return {"n": self.n, "source": p.source, "title": p.title, "published": p.published,
                "quote": p.text, "start": p.start, "end": p.end, "supported": self.supported}


def support(sentence: str, passage: Passage, sentence_vector: list[float]) -> bool:
    claim = set(terms(sentence))
    if not claim:
        return False
    lexical = len(claim & set(terms(passage.text))) / len(claim)
    semantic = cosine(sentence_vector, passage.vector)
    return lexical >= 0.6 or (semantic >= 0.6 and lexical >= 0.3)


def _numbers(group: str) -> list[int]:
    """The passage numbers in one marker's group: "2, 3" -> [2, 3]."""
    return [int(n) for n in re.split(r"\s*[,;]\s*", group)]


def _keep(match: re.Match[str], by_n: dict[int, Passage]) -> str:
    numbers = [n for n in _numbers(match.group(1)) if n in by_n]
    return " " + "".join(f"[{n}]" for n in numbers) if numbers else ""


def split_answer(text: str) -> list[str]:
    """Sentences of a reply; markers written after the full stop move before it."""
    text = _TRAILING_MARKERS.sub(lambda m: f" {m.group(2).strip()}{m.group(1)}", text).strip()
    return [text[s.start : s.end] for s in split_sentences(text, Span(0, len(text)))]


def cite(answer: str, passages: list[Passage], embedder: Embedder) -> tuple[str, list[Citation]]:
    """Return the answer with clean markers and its verified citations, in order of use."""
    by_n = {p.n: p for p in passages}
    sentences = split_answer(answer)
    if not sentences:
        return "", []
    bare = [MARKER.sub("", s).strip() for s in sentences]
    vectors = embedder.embed_documents(bare)
    rebuilt: list[str] = []
    support_of: dict[int, bool] = {}
    for sentence, plain, vector in zip(sentences, bare, vectors, strict=True):
        marked = [n for group in MARKER.findall(sentence) for n in _numbers(group)]
        cited = list(dict.fromkeys(n for n in marked if n in by_n))
        # Markers stay where the model put them; those naming no passage are removed.
        text = MARKER.sub(lambda m: _keep(m, by_n), sentence).strip()
        backs = any(support(plain, by_n[n], vector) for n in cited)
        if not backs and len(terms(plain)) >= MIN_CLAIM_TERMS:
            # Uncited, or cited to passages that do not back it: cite the one that does.
            backing = [p for p in passages if support(plain, p, vector)]
            if backing:
                best = max(backing, key=lambda p: cosine(vector, p.vector))
                cited = [best.n]
                text = MARKER.sub("", text).strip()
                end = len(text.rstrip(".!?\"'”’)"))
                text = f"{text[:end]} [{best.n}]{text[end:]}"
        for n in cited:
            support_of[n] = support_of.get(n, False) or support(plain, by_n[n], vector)
        rebuilt.append(text)
    citations = [Citation(n, by_n[n], supported) for n, supported in support_of.items()]
    return " ".join(rebuilt), citations
