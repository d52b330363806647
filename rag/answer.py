"""The answer chain: retrieve -> select sentences -> generate -> cite, check, and flag conflicts.

Composed of LangChain runnables over one state dict, so each step is a plain
function that can be tested, timed or swapped on its own.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from rag.citations import Citation, cite
from rag.conflicts import Conflict, find_conflicts
from rag.context import Passage, group_by_source, select_passages
from rag.embeddings import Embedder
from rag.llm import LLM
from rag.prompting import render
from rag.retrieval import HybridRetriever
from rag.settings import Settings

NOT_IN_SOURCES = re.compile(r"not\s+in\s+(the\s+)?sources|do(es)?\s+not\s+(say|mention|contain|"
                            r"answer|provide)|cannot\s+(answer|find)|no\s+information", re.I)


@dataclass
class Answer:
    answer: str
    refused: bool
    citations: list[Citation]
    conflicts: list[Conflict]
    backend: dict[str, str]
    timings: dict[str, float | int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"answer": self.answer, "refused": self.refused,
                "citations": [c.as_dict() for c in self.citations],
                "conflicts": [c.as_dict() for c in self.conflicts],
                "backend": self.backend, "timings": self.timings}


class AnswerChain:
    def __init__(self, settings: Settings, retriever: HybridRetriever, embedder: Embedder,
                 llm: LLM | None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.embedder = embedder
        self.llm = llm
        self.chain: Runnable[dict[str, Any], dict[str, Any]] = (
            RunnableLambda(self._retrieve) | RunnableLambda(self._generate)
            | RunnableLambda(self._finish))

    @property
    def backend(self) -> dict[str, str]:
        return {"llm": self.llm.model_id if self.llm else "extractive",
                "embeddings": self.embedder.model_id}

    def ask(self, question: str, k: int | None = None, as_of: date | None = None,
            sources: Sequence[str] | None = None,
            on_token: Callable[[str], None] | None = None) -> Answer:
        state = {"question": question.strip(), "k": k or 8, "as_of": as_of,
                 "sources": list(sources) if sources else None, "on_token": on_token}
        return self.chain.invoke(state)["result"]

    # -- steps -------------------------------------------------------------------------------

    def _retrieve(self, state: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        hits = self.retriever.retrieve(state["question"], state["k"], state["as_of"],
                                       state["sources"])
        passages = select_passages(state["question"], hits, self.embedder,
                                   self.settings.retrieval.context_sentences,
                                   relative_cutoff=self.settings.retrieval.context_cutoff,
                                   min_relevance=self.settings.retrieval.min_relevance)
        best = max((p.relevance for p in passages), default=0.0)
        return {**state, "passages": passages,
                "answerable": best >= self.settings.retrieval.min_relevance,
                "retrieve_ms": (time.perf_counter() - started) * 1000}

    def _generate(self, state: dict[str, Any]) -> dict[str, Any]:
        passages: list[Passage] = state["passages"]
        if not state["answerable"]:
            return {**state, "draft": "", "generate_ms": 0.0, "usage": (0, 0)}
        if self.llm is None:
            draft = extractive_answer(passages, self.settings.retrieval.min_relevance)
            if state["on_token"]:
                state["on_token"](draft)
            return {**state, "draft": draft, "generate_ms": 0.0, "usage": (0, 0)}
        messages = [
            {"role": "system", "content": render("answer_system")},
            {"role": "user", "content": render("answer_user", groups=group_by_source(passages),
                                               question=state["question"])},
        ]
        completion = self.llm.complete(messages, self.settings.llm.max_tokens, state["on_token"])
        return {**state, "draft": completion.text, "generate_ms": completion.total_ms,
                "usage": (completion.prompt_tokens, completion.completion_tokens)}

    def _finish(self, state: dict[str, Any]) -> dict[str, Any]:
        passages: list[Passage] = state["passages"]
        draft: str = state["draft"].strip()
        timings = {"retrieve_ms": round(state["retrieve_ms"], 1),
                   "generate_ms": round(state["generate_ms"], 1),
                   "prompt_tokens": state["usage"][0], "completion_tokens": state["usage"][1]}
        text, citations = cite(draft, passages, self.embedder) if draft else ("", [])
        refused = (not draft or bool(NOT_IN_SOURCES.search(draft))
                   or not any(c.supported for c in citations))
        if refused:
            refusal = render("refusal", question=state["question"],
                             as_of=state["as_of"].isoformat() if state["as_of"] else None)
            result = Answer(refusal, True, [], [], self.backend, timings)
            return {**state, "result": result}
        cited = {c.n for c in citations}
        # A disagreement matters to this answer only if the answer draws on one side of it.
        conflicts = [c for c in find_conflicts(passages, self.settings.retrieval.min_relevance)
                     if any(c.concerns(citation.passage) for citation in citations)]
        for conflict in conflicts:
            # Stated in fixed words, with both dates, whatever the model wrote.
            text = f"{text} {conflict.note()}"
            for passage in (conflict.older, conflict.newer):
                if passage.n not in cited:
                    citations.append(Citation(passage.n, passage, True))
                    cited.add(passage.n)
        result = Answer(text, False, citations, conflicts, self.backend, timings)
        return {**state, "result": result}


def extractive_answer(passages: list[Passage], min_relevance: float, limit: int = 2) -> str:
    """The most relevant sentences, each with its marker: an answer with no model."""
    ranked = sorted(passages, key=lambda p: -p.relevance)
    if not ranked:
        return ""
    best = ranked[0].relevance
    chosen = [p for p in ranked if p.relevance >= max(min_relevance, 0.85 * best)][:limit]
    return " ".join(f"{p.text} [{p.n}]" for p in chosen)
