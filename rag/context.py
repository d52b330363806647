"""Choose the few sentences a model reads for one answer, and number them.

Prompt length is what a CPU answer costs, so instead of whole chunks the model
reads the sentences of the retrieved chunks that best match the question,
each tagged `[n]`, grouped under a label with its article's title, outlet and
date, oldest article first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from rag.answer_kind import AnswerKind, asked_kind, names_kind
from rag.articles import Span
from rag.chunking import split_sentences
from rag.embeddings import Embedder
from rag.injection import addresses_the_model
from rag.records import Hit, StoredChunk
from rag.terms import terms


@dataclass(frozen=True)
class Passage:
    """One numbered sentence: `text == file_text[start:end]` of `chunk.source`."""

    n: int
    chunk: StoredChunk
    start: int
    end: int
    text: str
    relevance: float
    vector: tuple[float, ...]

    @property
    def source(self) -> str:
        return self.chunk.source

    @property
    def published(self) -> str | None:
        return self.chunk.published

    @property
    def outlet(self) -> str | None:
        return self.chunk.outlet

    @property
    def title(self) -> str:
        return self.chunk.title


@dataclass(frozen=True)
class SourceGroup:
    label: str
    passages: list[Passage]


def sentences_of(chunk: StoredChunk) -> list[tuple[int, int, str]]:
    """(start, end, text) of each sentence of a chunk, offsets into the source file."""
    local = split_sentences(chunk.text, Span(0, len(chunk.text)))
    return [(chunk.start + s.start, chunk.start + s.end, chunk.text[s.start : s.end])
            for s in local]


def cosine(a: tuple[float, ...] | list[float], b: tuple[float, ...] | list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def term_overlap(question_terms: set[str], text: str) -> float:
    """Share of the question's content terms that occur in `text`."""
    if not question_terms:
        return 0.0
    return len(question_terms & set(terms(text))) / len(question_terms)


def _relevance(question_vector: list[float], question_terms: set[str], vector: list[float],
               text: str) -> float:
    """How well a sentence matches the question: embedding similarity blended with the
    share of the question's terms it holds."""
    return 0.65 * cosine(question_vector, vector) + 0.35 * term_overlap(question_terms, text)


def select_passages(question: str, hits: list[Hit], embedder: Embedder, limit: int,
                    min_per_source: int = 1, relative_cutoff: float = 0.75,
                    min_relevance: float = 0.35) -> list[Passage]:
    """Up to `limit` sentences of `hits` most relevant to `question`, numbered in reading order.

    Relevance blends embedding similarity with the share of question terms a
    sentence contains. Sentences far below the best one (under
    `relative_cutoff` of its relevance) are left out: they cost prompt time and
    distract a small model. Each source with a sentence above the cutoff first
    gets its best one, so a question whose answer spans articles sees them all.
    When the question asks for a person, number, time or place and no chosen
    sentence of the best-matching article names one, that article's best
    sentence that does joins them if it is relevant at all (`min_relevance`):
    the sentence most like "Who denied it?" is usually the one restating the
    denial, while the name sits in another sentence of the same report.
    """
    seen: set[tuple[str, int]] = set()
    candidates: list[tuple[StoredChunk, int, int, str]] = []
    for hit in hits:
        for start, end, text in sentences_of(hit.chunk):
            if (hit.chunk.source, start) in seen or len(text) < 2 or addresses_the_model(text):
                continue
            seen.add((hit.chunk.source, start))
            candidates.append((hit.chunk, start, end, text))
    if not candidates:
        return []
    vectors = embedder.embed_documents([question] + [c[3] for c in candidates])
    question_vector, sentence_vectors = vectors[0], vectors[1:]
    question_terms = set(terms(question))
    ranked = sorted((
        (_relevance(question_vector, question_terms, vector, text),
         chunk, start, end, text, tuple(vector))
        for (chunk, start, end, text), vector in zip(candidates, sentence_vectors, strict=True)
    ), key=lambda row: -row[0])
    best = ranked[0][0]
    scored = [row for row in ranked if row[0] >= relative_cutoff * best]

    chosen: list[tuple] = []
    taken: dict[str, int] = defaultdict(int)
    for row in scored:  # best sentence of each source first, in relevance order
        if taken[row[1].source] < min_per_source and len(chosen) < limit:
            chosen.append(row)
            taken[row[1].source] += 1
    for row in scored:
        if len(chosen) >= limit:
            break
        if row not in chosen:
            chosen.append(row)

    kind = asked_kind(question)
    if kind:
        chosen = _with_naming(chosen, ranked, kind, question, limit, min_relevance)

    chosen.sort(key=lambda row: (row[1].published or "9999", row[1].source, row[2]))
    return [Passage(n, chunk, start, end, text, round(score, 4), vector)
            for n, (score, chunk, start, end, text, vector) in enumerate(chosen, 1)]


def _with_naming(chosen: list[tuple], ranked: list[tuple], kind: AnswerKind, question: str,
                 limit: int, min_relevance: float) -> list[tuple]:
    """`chosen`, with a sentence naming the `kind` asked for from the articles it draws on
    when the best-matching article's chosen sentences name none: that article's best such
    sentence takes the last place, and where places are left, each other chosen article's
    best such sentence fills one (a snippet's sentence most like the question is seldom
    the one with the name)."""
    def naming(row: tuple) -> bool:
        return names_kind(kind, row[4], question)

    article = ranked[0][1].source  # the one that best matches what the question is about
    if any(row[1].source == article and naming(row) for row in chosen):
        return chosen
    chosen = list(chosen)
    others = [s for s in dict.fromkeys(row[1].source for row in chosen) if s != article]
    for source in [article, *others]:
        if any(row[1].source == source and naming(row) for row in chosen):
            continue
        answering = next((row for row in ranked if row[1].source == source and
                          row[0] >= min_relevance and row not in chosen and naming(row)), None)
        if answering is None:
            continue
        if len(chosen) < limit:
            chosen.append(answering)
        elif source == article:
            chosen = chosen[: limit - 1] + [answering]
        else:
            break
    return chosen


def naming_sentence(words: set[str], chunks: list[StoredChunk], question: str,
                    embedder: Embedder, n: int) -> Passage | None:
    """The first sentence of `chunks` (one article's, in reading order) that holds all of
    `words`, as passage number `n` scored against `question` like any chosen one; None
    when no sentence does."""
    for chunk in sorted(chunks, key=lambda c: c.start):
        for start, end, text in sentences_of(chunk):
            if words <= set(terms(text)) and not addresses_the_model(text):
                question_vector, vector = embedder.embed_documents([question, text])
                score = _relevance(question_vector, set(terms(question)), vector, text)
                return Passage(n, chunk, start, end, text, round(score, 4), tuple(vector))
    return None


def group_by_source(passages: list[Passage]) -> list[SourceGroup]:
    """Passages under one label per article, in the passages' (oldest-first) order."""
    groups: dict[str, list[Passage]] = {}
    for passage in passages:
        groups.setdefault(passage.source, []).append(passage)
    return [SourceGroup(source_label(items[0].chunk), items) for items in groups.values()]


def source_label(chunk: StoredChunk) -> str:
    about = evidence_label(chunk.outlet, chunk.published)
    return f'"{chunk.title}"' + (f" ({about})" if about else "")


def evidence_label(outlet: str | None, published: str | None) -> str:
    """Where a passage is from, as prompts and the verifier read it: "Reuters, 2020-01-30"."""
    return ", ".join(x for x in (outlet, published) if x)
