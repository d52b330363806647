"""Benchmark: answer latency of this chain against a naive chain, same model, same run.

The naive chain is the usual first RAG: the seed files cut into 1,000-character
chunks (200 overlap), the 4 nearest by MiniLM stuffed into one prompt. For each
question it prints prompt tokens, time to first token and total latency of
both, whether each answer holds the expected fact, and the medians.

Each chain answers all questions in a row, after one warm-up question of its
own, as a service answering a stream of questions would: llama.cpp then keeps
the prompt prefix the chain's questions share (its system prompt) in the KV
cache, for either chain alike, and this chain has the vectors of sentences
earlier questions retrieved in its cache (the naive chain's chunk vectors are
all computed beforehand). To show what that cache is worth, this chain answers
the questions a second time with it emptied before each one; the medians of
both runs are printed. `RAG_*` variables apply, so settings can be
compared (e.g. `RAG_CONTEXT_SENTENCES=6`); `RAG_LLM_MODEL_PATH` saves
assembling the bundled model into the scratch folder.

    python eval/benchmarks/answer_latency.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from eval.benchmarks.retrieval_quality import naive_chunks
from rag.answer import Answer
from rag.knowledge_base import KnowledgeBase
from rag.llm.base import Completion
from rag.prompting import render
from rag.settings import load_settings

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUESTIONS = [  # (question, a fact a good answer holds; None: must refuse)
    ("Have joint operations between Iraq and the US-led coalition resumed?", "resumed"),
    ("How many American troops were wounded in the attack on Ain al-Asad?", "50"),
    ("Who won the 2020 US presidential election?", None),
    ("What air defense system does the US want to bring into Iraq?", "Patriot"),
    ("Who is the Iraqi spokesman who denied that joint operations resumed?", "Khalaf"),
    ("How many US troops are deployed in Iraq according to the AFP report?", "5,200"),
]


WARM_UP = "What did the coalition say about its training missions?"


def good(answer: str, refused: bool, expected: str | None) -> bool:
    if expected is None:
        return refused
    return not refused and expected.lower() in answer.lower()


def main() -> int:
    with tempfile.TemporaryDirectory() as data_dir:
        kb = KnowledgeBase(load_settings({**os.environ, "RAG_DATA_DIR": data_dir}))
        kb.ingest([SEEDS])
        llm = kb.llm
        assert llm is not None, "this benchmark needs a model backend, not extractive"
        texts = [c for p in sorted(SEEDS.iterdir()) for c in naive_chunks(p.read_text("utf-8"))]
        vectors = np.asarray(kb.embedder.embed_documents(texts))

        def ask_ours(question: str, cold: bool = False) -> tuple[Answer, float, float]:
            first: list[float] = []
            if cold:
                kb.sentence_embedder.clear()

            def mark_first(_: str) -> None:
                if not first:
                    first.append(time.perf_counter())

            started = time.perf_counter()
            answer = kb.ask(question, on_token=mark_first)
            total = time.perf_counter() - started
            return answer, (first[0] if first else time.perf_counter()) - started, total

        def ask_naive(question: str) -> tuple[Completion, float, float]:
            started = time.perf_counter()
            query = np.asarray(kb.embedder.embed_query(question))
            context = [texts[i] for i in np.argsort(-(vectors @ query))[:4]]
            prompt = render("naive_answer", chunks=context, question=question)
            naive = llm.complete([{"role": "user", "content": prompt}], 160)
            total = time.perf_counter() - started
            return naive, total - (naive.total_ms - naive.first_token_ms) / 1000, total

        ask_ours(WARM_UP)
        ours = [ask_ours(question) for question, _ in QUESTIONS]
        cold = [ask_ours(question, cold=True) for question, _ in QUESTIONS]
        ask_naive(WARM_UP)
        naives = [ask_naive(question) for question, _ in QUESTIONS]
        rows = []
        for (question, expected), (answer, ot, oT), (naive, nt, nT) in zip(
                QUESTIONS, ours, naives, strict=True):
            naive_refused = any(w in naive.text.lower() for w in ("not", "no information"))
            rows.append((question, answer, ot, oT, naive, nt, nT,
                         good(answer.answer, answer.refused, expected),
                         good(naive.text, naive_refused and expected is None, expected)))

    print(f"{'question':<44}{'chain':>7}{'prompt':>8}{'ttft s':>8}{'total s':>9}  good")
    for q, a, ot, oT, n, nt, nT, og, ng in rows:
        print(f"{q[:43]:<44}{'ours':>7}{a.timings['prompt_tokens']:>8}{ot:>8.1f}{oT:>9.1f}  {og}")
        print(f"{'':<44}{'naive':>7}{n.prompt_tokens:>8}{nt:>8.1f}{nT:>9.1f}  {ng}")
    ours_median = statistics.median(r[3] for r in rows)
    naive_median = statistics.median(r[6] for r in rows)
    cold_median = statistics.median(total for _answer, _first, total in cold)
    print(f"median total: ours {ours_median:.1f} s, naive {naive_median:.1f} s, "
          f"speed-up {naive_median / ours_median:.1f}x (goal >= 3x)")
    print(f"ours with the sentence cache emptied before each question: {cold_median:.1f} s, "
          f"speed-up {naive_median / cold_median:.1f}x")
    print(f"good answers: ours {sum(r[7] for r in rows)}/{len(rows)}, "
          f"naive {sum(r[8] for r in rows)}/{len(rows)}")
    print("answers:")
    for q, a, *_rest in rows:
        print(f"- {q}\n  ours:  {a.answer}\n  naive: {_rest[2].text.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
