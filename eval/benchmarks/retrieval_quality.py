"""Benchmark: retrieval Hits@4, Hits@10 and MRR@10 on MultiHop-RAG, ours against a naive baseline.

A retrieved chunk is a hit when it contains one of the question's gold facts
(white space folded); null queries are left out. The naive baseline is the
usual first RAG: 1,000-character chunks with 200 characters of overlap,
MiniLM, dense top-k. Both run in the same process on the same machine. The
hybrid retriever is also scored with other dense weights
(RAG_RETRIEVAL_DENSE_WEIGHT), on all questions and on the even and odd halves,
to show how much the default depends on this question set.

    python eval/benchmarks/retrieval_quality.py [--bench DIR] [--store DIR] [--weights 0,1]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from eval.metrics import first_hit, hits_and_mrr
from rag.knowledge_base import KnowledgeBase
from rag.retrieval import HybridRetriever
from rag.settings import load_settings

PROJECT = Path(__file__).resolve().parents[2]
DEFAULT_BENCH = PROJECT.parent / "shared/benchdata/multihop"


def naive_chunks(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """Fixed windows cut at white space, like a character text splitter."""
    chunks, start = [], 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text) and (space := text.rfind(" ", start + size // 2, end)) > 0:
            end = space
        chunks.append(text[start:end])
        if end == len(text):
            break
        start = max(end - overlap, start + 1)
    return chunks


def score(ranked: list[list[str]], facts: list[list[str]]) -> dict[str, float]:
    return hits_and_mrr([first_hit(gold, texts[:10])
                         for texts, gold in zip(ranked, facts, strict=True)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--store", type=Path, default=PROJECT / "eval/out/bench-store",
                        help="kept between runs: ingestion is incremental")
    parser.add_argument("--weights", default="0.25,0.5,1.0",
                        help="dense weights to compare (comma-separated; empty: none)")
    args = parser.parse_args()
    if not (args.bench / "questions.jsonl").exists():
        print(f"benchmark data not found under {args.bench}", file=sys.stderr)
        return 2
    questions = [json.loads(line) for line in (args.bench / "questions.jsonl").open()]
    questions = [q for q in questions if q["type"] != "null_query"]
    facts = [[e["fact"] for e in q["evidence"]] for q in questions]  # first_hit folds them

    kb = KnowledgeBase(load_settings({"RAG_DATA_DIR": str(args.store)}))
    report = kb.ingest([args.bench / "corpus"])
    print(f"store: {kb.store.count()} chunks ({report.added} files added now)")

    started = time.perf_counter()
    ours = [[hit.chunk.text for hit in kb.retriever.retrieve(q["question"], 10)]
            for q in questions]
    ours_ms = (time.perf_counter() - started) * 1000 / len(questions)

    cache = args.store / "naive-minilm.npz"
    files = sorted((args.bench / "corpus").glob("*.txt"))
    texts = [chunk for path in files for chunk in naive_chunks(path.read_text(encoding="utf-8"))]
    if cache.exists() and len(np.load(cache)["vectors"]) == len(texts):
        vectors = np.load(cache)["vectors"]
    else:
        vectors = np.asarray(kb.embedder.embed_documents(texts), dtype=np.float32)
        np.savez(cache, vectors=vectors)
    query_vectors = np.asarray(kb.embedder.embed_documents([q["question"] for q in questions]),
                               dtype=np.float32)
    naive = [[texts[i] for i in np.argsort(-(vectors @ qv))[:10]] for qv in query_vectors]

    print(f"questions: {len(questions)} (null queries left out)")
    print(f"{'retriever':<28}{'Hits@4':>8}{'Hits@10':>9}{'MRR@10':>8}")
    for name, ranked in (("naive dense 1000/200", naive), ("hybrid (this project)", ours)):
        s = score(ranked, facts)
        print(f"{name:<28}{s['hits@4']:>8.3f}{s['hits@10']:>9.3f}{s['mrr@10']:>8.3f}")
    print(f"hybrid retrieval: {ours_ms:.0f} ms per question "
          f"(dense weight {kb.settings.retrieval.dense_weight})")

    weights = [float(w) for w in args.weights.split(",") if w.strip()]
    if weights:
        print(f"\n{'dense weight':<14}{'MRR@10':>8}{'even':>7}{'odd':>7}{'Hits@4':>8}"
              f"{'Hits@10':>9}")
    for weight in weights:
        settings = kb.settings.retrieval.model_copy(update={"dense_weight": weight})
        retriever = HybridRetriever(kb.store, kb.embedder, kb.lexical, settings)
        ranked = [[hit.chunk.text for hit in retriever.retrieve(q["question"], 10)]
                  for q in questions]
        s, even, odd = (score(ranked[i::step], facts[i::step])
                        for i, step in ((0, 1), (0, 2), (1, 2)))
        print(f"{weight:<14}{s['mrr@10']:>8.3f}{even['mrr@10']:>7.3f}{odd['mrr@10']:>7.3f}"
              f"{s['hits@4']:>8.3f}{s['hits@10']:>9.3f}")
    print("goals: Hits@4 >= 0.85, Hits@10 >= 0.95, MRR@10 >= 0.65")
    return 0


if __name__ == "__main__":
    sys.exit(main())
