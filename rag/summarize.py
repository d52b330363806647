"""Summaries with citations: of one article, of chosen articles, or of a topic across
articles as a timeline.

The text to summarize is cut into numbered sentences (the same `Passage`s the
answer chain uses), so every summary sentence can cite `[n]` and be checked:
a sentence the claim verifier finds no passage stating is dropped. A topic
that no article covers (no passage reaches `RAG_MIN_RELEVANCE`, as for
answers) is a refusal. Long inputs are summarized in parts, and the parts'
summaries combined.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from rag.citations import Citation, cite, split_answer, with_markers
from rag.conflicts import Conflict, find_conflicts
from rag.context import Passage, cosine, group_by_source, select_passages, sentences_of
from rag.embeddings import Embedder
from rag.errors import MalformedReplyError, SourceNotFoundError
from rag.llm import LLM
from rag.llm.base import Schema, decode_json
from rag.prompting import render
from rag.retrieval import HybridRetriever
from rag.settings import Settings
from rag.store import ChunkStore
from rag.verify import ClaimVerifier, make_verifier

PART_SENTENCES = 14
MIN_PER_ARTICLE = 4
TOKENS_PER_SENTENCE = 45  # room for a sentence of ~30 words and its JSON
WORDS_PER_SENTENCE = 25  # a news sentence: a length in words becomes this many sentences
MAX_SENTENCES = 20
# A sentence this close (cosine) to one already kept from another article says the same
# thing: syndicated copies and shared quotes are summarized once.
RESTATES = 0.9


@dataclass(frozen=True)
class Plan:
    """How one summary is written: at most `sentences` (and at most `words`, when set), as
    a timeline or not, as bullet points or a paragraph, from one article or several, about
    a topic or not."""

    sentences: int
    timeline: bool
    bullets: bool
    several: bool = False
    topic: str | None = None
    words: int | None = None


@dataclass(frozen=True)
class Report:
    """One article a summary of several draws on, with the citations that quote it."""

    source: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    cited: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "title": self.title, "outlet": self.outlet,
                "published": self.published, "url": self.url, "cited": list(self.cited)}


@dataclass
class Summary:
    summary: str
    citations: list[Citation]
    backend: dict[str, str]
    timings: dict[str, float | int] = field(default_factory=dict)
    refused: bool = False
    # Of a topic or of several articles: the reports in date order (undated last), and
    # where a later one updates or contradicts an earlier one.
    reports: list[Report] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "refused": self.refused,
                "citations": [c.as_dict() for c in self.citations],
                "reports": [r.as_dict() for r in self.reports],
                "conflicts": [c.as_dict() for c in self.conflicts],
                "backend": self.backend, "timings": self.timings}


class Summarizer:
    def __init__(self, settings: Settings, store: ChunkStore, retriever: HybridRetriever,
                 embedder: Embedder, llm: LLM | None,
                 verifier: ClaimVerifier | None = None) -> None:
        self.settings = settings
        self.store = store
        self.retriever = retriever
        self.embedder = embedder
        self.llm = llm
        self.verifier = verifier or make_verifier(
            llm, settings.llm.verify_threshold, settings.llm.verify_answer_threshold)

    @property
    def backend(self) -> dict[str, str]:
        return {"llm": self.llm.model_id if self.llm else "extractive",
                "embeddings": self.embedder.model_id}

    def plan(self, form: str | None, sentences: int | None, timeline: bool,
             several: bool = False, topic: str | None = None, words: int | None = None
             ) -> Plan:
        """How a summary is written: `form`, `sentences` and `words` as asked, else as
        configured; `timeline` is what the `auto` form gives this kind of summary. A length
        in words alone allows as many sentences as it takes to fill it."""
        form = form or self.settings.summary.form
        words = words or self.settings.summary.words
        return Plan(sentence_budget(sentences, words, self.settings.summary.sentences),
                    timeline if form == "auto" else form == "timeline",
                    form == "bullets", several, topic, words)

    def article(self, source: str, form: str | None = None, sentences: int | None = None,
                words: int | None = None) -> Summary:
        """Summarize one ingested article."""
        started = time.perf_counter()
        return self._summarize(self._ranked(source),
                               self.plan(form, sentences, False, words=words), started)

    def articles(self, sources: Sequence[str], form: str | None = None,
                 sentences: int | None = None, words: int | None = None) -> Summary:
        """Summarize chosen articles as one story: what several of them say is kept once,
        each article gives its best sentences, and articles of different days make a
        timeline."""
        started = time.perf_counter()
        chosen = list(dict.fromkeys(sources))
        if len(chosen) == 1:
            return self.article(chosen[0], form, sentences, words)
        share = max(MIN_PER_ARTICLE, PART_SENTENCES // len(chosen))  # one prompt if it fits
        passages: list[Passage] = []
        for source in chosen:
            ranked = sorted(self._ranked(source), key=lambda p: -p.relevance)
            passages += [p for p in ranked if not _restates(p, passages)][:share]
        passages.sort(key=lambda p: (p.published or "", p.source, p.start))
        passages = [replace(p, n=n) for n, p in enumerate(passages, 1)]
        days = {p.published for p in passages if p.published}
        return self._summarize(passages, self.plan(form, sentences, len(days) > 1, several=True,
                                                   words=words), started)

    def _ranked(self, source: str) -> list[Passage]:
        """An article's sentences, numbered in order, scored as summary material."""
        chunks = self.store.chunks(where={"source": source})
        if not chunks:
            raise SourceNotFoundError(source)
        sentences: dict[int, tuple[int, str, Any]] = {}
        for chunk in chunks:
            for start, end, text in sentences_of(chunk):
                sentences.setdefault(start, (end, text, chunk))
        ordered = sorted(sentences.items())
        vectors = self.embedder.embed_documents([text for _, (_, text, _) in ordered])
        centre = [sum(column) / len(vectors) for column in zip(*vectors, strict=True)]
        # News puts the key facts first: the lead (first sentence of 8+ words) always
        # ranks first, then sentences by closeness to the article's centre, early ones ahead.
        lead = next((start for start, (_, text, _) in ordered if len(text.split()) >= 8),
                    ordered[0][0])
        return [
            Passage(n, chunk, start, end, text,
                    round(cosine(vector, centre) + (1.0 if start == lead else 0.3 / (1 + n)), 4),
                    tuple(vector))
            for n, ((start, (end, text, chunk)), vector) in enumerate(zip(ordered, vectors,
                                                                          strict=True), 1)
        ]

    def topic(self, topic: str, k: int = 12, as_of: date | None = None,
              form: str | None = None, sentences: int | None = None,
              words: int | None = None) -> Summary:
        """Summarize what the articles say about `topic`, oldest report first."""
        started = time.perf_counter()
        hits = self.retriever.retrieve(topic, k, as_of)
        passages = select_passages(topic, hits, self.embedder, limit=2 * PART_SENTENCES,
                                   relative_cutoff=0.5)
        if max((p.relevance for p in passages), default=0.0) < \
                self.settings.retrieval.min_relevance:
            # Whatever was retrieved is not about the topic: summarizing it would mislead.
            timings = {"retrieve_ms": round((time.perf_counter() - started) * 1000, 1),
                       "generate_ms": 0.0, "prompt_tokens": 0, "completion_tokens": 0}
            return Summary(render("summary_refusal", topic=topic,
                                  as_of=as_of.isoformat() if as_of else None),
                           [], self.backend, timings, refused=True)
        return self._summarize(passages,
                               self.plan(form, sentences, True, topic=topic, words=words), started)

    def _summarize(self, passages: list[Passage], plan: Plan, started: float) -> Summary:
        retrieve_ms = (time.perf_counter() - started) * 1000
        usage = [0, 0]
        generate_started = time.perf_counter()
        if not passages:
            draft = ""
        elif self.llm is None:
            draft = self._extractive(passages, plan)
        else:
            parts = [passages[i : i + PART_SENTENCES]
                     for i in range(0, len(passages), PART_SENTENCES)]
            drafts = [self._generate(part, plan, usage) for part in parts]
            draft = drafts[0] if len(drafts) == 1 else \
                self._combine(drafts, [p.n for p in passages], plan, usage)
        text, citations = cite(draft, passages, self.verifier) if draft else ("", [])
        if not text and self.llm is not None and passages:
            # No sentence the model wrote is stated by the sentences it cites: the
            # articles' own best sentences, quoted, are a summary that is.
            text, citations = cite(self._extractive(passages, plan), passages, self.verifier)
        elif text and self.llm is not None:
            text, citations = filled(*within(text, citations, plan.words), passages, plan)
        timings = {"retrieve_ms": round(retrieve_ms, 1),
                   "generate_ms": round((time.perf_counter() - generate_started) * 1000, 1),
                   "prompt_tokens": usage[0], "completion_tokens": usage[1]}
        if not text:
            return Summary(render("summary_refusal", topic=plan.topic, as_of=None), [],
                           self.backend, timings, refused=True)
        if plan.bullets:
            text = "\n".join(f"- {sentence}" for sentence in split_answer(text))
        if not (plan.several or plan.topic):
            return Summary(text, citations, self.backend, timings)
        return Summary(text, citations, self.backend, timings,
                       reports=reports_of(passages, citations),
                       conflicts=find_conflicts(passages,
                                                self.settings.retrieval.min_relevance))

    def _extractive(self, passages: list[Passage], plan: Plan) -> str:
        chosen = _fitting(sorted(passages, key=lambda p: -p.relevance), plan.sentences,
                          plan.words, plan)
        chosen.sort(key=lambda p: ((p.published or "") if plan.timeline else "", p.source,
                                   p.start))
        return " ".join(with_markers(_quoted(p, plan), [p.n]) for p in chosen)

    def _generate(self, passages: list[Passage], plan: Plan, usage: list[int]) -> str:
        messages = [
            {"role": "system", "content": render("summary_system", sentences=plan.sentences,
                                                 words=plan.words, timeline=plan.timeline,
                                                 several=plan.several)},
            {"role": "user", "content": render("summary_user", groups=group_by_source(passages),
                                               topic=plan.topic)},
        ]
        return self._complete(messages, [p.n for p in passages], plan, usage)

    def _combine(self, drafts: list[str], numbers: list[int], plan: Plan,
                 usage: list[int]) -> str:
        messages = [
            {"role": "system", "content": render("summary_system", sentences=plan.sentences,
                                                 words=plan.words, timeline=plan.timeline,
                                                 several=plan.several)},
            {"role": "user", "content": render("summary_combine", parts=drafts,
                                               sentences=plan.sentences, words=plan.words,
                                               timeline=plan.timeline)},
        ]
        return self._complete(messages, numbers, plan, usage)

    def _complete(self, messages: list[dict[str, str]], numbers: list[int], plan: Plan,
                  usage: list[int]) -> str:
        """The model's summary, filled in as sentences each with the numbers it rests on
        (constrained, so no sentence comes without them), written out with `[n]` markers."""
        assert self.llm is not None
        completion = self.llm.complete(messages, TOKENS_PER_SENTENCE * plan.sentences + 40,
                                       schema=summary_schema(numbers, plan.sentences))
        usage[0] += completion.prompt_tokens
        usage[1] += completion.completion_tokens
        try:
            return written(finished_sentences(completion.text), numbers)
        except MalformedReplyError:
            return ""


def sentence_budget(sentences: int | None, words: int | None, default: int) -> int:
    """The sentences a summary may have: as asked, else as many as `words` takes, else
    `default`."""
    if sentences is None and words:
        return min(MAX_SENTENCES, -(-words // WORDS_PER_SENTENCE))
    return sentences or default


def filled(text: str, citations: list[Citation], passages: list[Passage], plan: Plan
           ) -> tuple[str, list[Citation]]:
    """The summary brought to its length with the articles' own best sentences, quoted.

    The verifier drops a sentence no passage states (often one that fuses two
    reports); the reader still asked for `plan.sentences`. The most relevant
    sentences that no kept sentence's passages already say are added as quotes,
    in story order (by date in a timeline), each citing itself: stated by
    construction, so no model call.
    """
    missing = plan.sentences - len(split_answer(text))
    room = plan.words - words_of(text) if plan.words else None
    if missing <= 0 or (room is not None and room <= 0):
        return text, citations
    covered = [c.passage for c in citations]
    fresh: list[Passage] = []
    for passage in sorted(passages, key=lambda p: -p.relevance):
        if not any(cosine(passage.vector, other.vector) >= RESTATES or other.n == passage.n
                   for other in covered + fresh):
            fresh.append(passage)
    added = _fitting(fresh, missing, room, plan)
    sentences = split_answer(text)
    for p in sorted(added, key=lambda p: p.n):  # passages are numbered in story order
        # Before the first sentence that rests on a later passage: the lead stays ahead.
        at = next((i for i, s in enumerate(sentences) if _first_cited(s) > p.n),
                  len(sentences))
        sentences.insert(at, with_markers(_quoted(p, plan), [p.n]))
    if plan.timeline:  # one date order for the model's sentences and the quotes
        sentences.sort(key=lambda sentence: (m[1] if (m := _DATED.match(sentence))
                                             else "9999"))
    return " ".join(sentences), citations + [Citation(p.n, p, True) for p in added]


_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2}):")
_MARKERS = re.compile(r"\s*\[\d+\]")
_MARKER = re.compile(r"\[(\d+)\]")


def _first_cited(sentence: str) -> int:
    """The lowest passage number a sentence cites (none: it goes last)."""
    return min((int(n) for n in _MARKER.findall(sentence)), default=1 << 30)


def words_of(text: str) -> int:
    """How many words a summary has for its reader (its `[n]` markers not counted)."""
    return len(_MARKERS.sub("", text).split())


def within(text: str, citations: list[Citation], words: int | None
           ) -> tuple[str, list[Citation]]:
    """The summary's leading sentences that fit in `words` (the first always kept), with
    the citations those sentences still carry."""
    if words is None or words_of(text) <= words:
        return text, citations
    kept: list[str] = []
    for sentence in split_answer(text):
        if kept and words_of(" ".join([*kept, sentence])) > words:
            break
        kept.append(sentence)
    text = " ".join(kept)
    return text, [c for c in citations if f"[{c.n}]" in text]


def _quoted(passage: Passage, plan: Plan) -> str:
    """An article's sentence as a summary quotes it (dated in a timeline)."""
    return (f"{passage.published or 'Undated'}: " if plan.timeline else "") + \
        _closed(passage.text)


def _fitting(candidates: list[Passage], count: int, words: int | None, plan: Plan
             ) -> list[Passage]:
    """The first `count` of `candidates`, in their order, passing over any sentence too long
    for the `words` still free (no limit when `words` is None)."""
    chosen: list[Passage] = []
    for passage in candidates:
        if len(chosen) == count:
            break
        size = words_of(_quoted(passage, plan))
        if words is not None:
            if size > words:
                continue
            words -= size
        chosen.append(passage)
    return chosen


def _closed(sentence: str) -> str:
    """A quoted sentence that ends as a sentence does, so the next one starts anew."""
    return sentence if sentence.rstrip()[-1:] in ".!?\"'”’)" else sentence.rstrip() + "."


def reports_of(passages: list[Passage], citations: list[Citation]) -> list[Report]:
    """The articles behind `passages`, oldest first (undated last), each with the numbers
    of the citations that quote it."""
    cited: dict[str, list[int]] = {}
    for citation in citations:
        cited.setdefault(citation.passage.source, []).append(citation.n)
    first = {p.source: p for p in reversed(passages)}
    ordered = sorted(first.values(), key=lambda p: (p.published is None, p.published or "",
                                                    p.source))
    return [Report(p.source, p.chunk.title, p.outlet, p.published, p.chunk.url,
                   tuple(cited.get(p.source, ()))) for p in ordered]


def _restates(passage: Passage, kept: list[Passage]) -> bool:
    """Whether another article's kept sentence already says what `passage` says."""
    return any(other.source != passage.source and
               cosine(passage.vector, other.vector) >= RESTATES for other in kept)


def summary_schema(numbers: list[int], sentences: int) -> Schema:
    """The JSON schema of a summary: up to `sentences` sentences, each citing 1-3 of the
    passage `numbers`."""
    sentence = {
        "type": "object",
        "properties": {
            "sources": {"type": "array", "items": {"type": "integer", "enum": numbers},
                        "minItems": 1, "maxItems": min(3, len(numbers))},
            "text": {"type": "string", "minLength": 1},
        },
        "required": ["sources", "text"],
        "additionalProperties": False,
    }
    return {"type": "object",
            "properties": {"sentences": {"type": "array", "items": sentence, "minItems": 1,
                                         "maxItems": sentences}},
            "required": ["sentences"], "additionalProperties": False}


def finished_sentences(text: str) -> Any:
    """The structured summary in a reply; in a reply the token limit cut short (long
    quoted sentences use it up), the sentences it finished."""
    try:
        return decode_json(text)
    except MalformedReplyError:
        pass
    end = len(text)
    while (end := text.rfind("}", 0, end)) != -1:
        try:
            return json.loads(text[: end + 1] + "]}")
        except ValueError:
            continue
    raise MalformedReplyError(f"the model's reply holds no finished sentence: {text[:200]!r}")


def written(value: Any, numbers: list[int]) -> str:
    """A structured summary as text: each sentence followed by its `[n]` markers."""
    items = value.get("sentences", []) if isinstance(value, dict) else []
    sentences = []
    for item in items:
        text = item.get("text") if isinstance(item, dict) else None
        if isinstance(text, str) and text.strip():
            cited = [n for n in item.get("sources", []) if n in numbers]
            sentences.append(with_markers(text.strip(), cited))
    return " ".join(sentences)
