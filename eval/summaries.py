"""Score summaries of story clusters against human ones (Multi-News), beside two baselines.

    rag eval --dataset ../shared/benchdata/multinews/clusters.jsonl [--split test] [--limit N]

For each cluster (2-5 articles and a reference summary) it scores, in the
same run and with the same model:

- this project: `rag summarize` of the cluster's articles (`Summarizer.articles`);
- Lead-3: the first three sentences of the cluster's first article;
- naive: every article stuffed into one prompt (cut to fit the model's
  context), "summarize in N sentences" (N = RAG_SUMMARY_SENTENCES), no retrieval and no
  checks.

Scores are ROUGE-1/2/L F1 (Google's `rouge-score`, Porter stemming, ROUGE-Lsum
over sentences), the share of this project's summary sentences with a
supported citation, words, and latency.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.cases import split_half
from eval.runner import eval_settings
from rag.articles import Span
from rag.chunking import split_sentences
from rag.citations import split_answer
from rag.errors import ConfigError
from rag.knowledge_base import KnowledgeBase
from rag.llm import LLM
from rag.prompting import render
from rag.settings import Settings
from rag.summarize import sentence_budget

CHARS_PER_TOKEN = 3.5  # English news text in Qwen's tokenizer, measured on the seeds: ~4
SYSTEMS = ("this project", "lead-3", "naive")
MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Cluster:
    id: str
    files: list[str]
    reference: str


@dataclass
class Scored:
    id: str
    system: str
    summary: str
    rouge1: float
    rouge2: float
    rougeL: float
    words: int
    latency_ms: float
    supported: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def is_summary_dataset(path: str) -> bool:
    """Whether `path` is a clusters file (`{"id", "files", "reference_summary"}` lines)."""
    file = Path(path)
    if file.suffix != ".jsonl" or not file.is_file():
        return False
    with file.open(encoding="utf-8") as handle:
        first = handle.readline()
    try:
        return "reference_summary" in json.loads(first)
    except ValueError:
        return False


def load_clusters(path: Path) -> list[Cluster]:
    clusters = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            clusters.append(Cluster(row["id"], list(row["files"]), row["reference_summary"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{number}: not a cluster ({exc})") from None
    return clusters


def rouge(summary: str, reference: str) -> dict[str, float]:
    """ROUGE-1, -2 and -Lsum F1, as the Multi-News papers report them (0-1)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    scores = scorer.score(_one_sentence_per_line(reference), _one_sentence_per_line(summary))
    return {"rouge1": scores["rouge1"].fmeasure, "rouge2": scores["rouge2"].fmeasure,
            "rougeL": scores["rougeLsum"].fmeasure}


def _one_sentence_per_line(text: str) -> str:
    """As ROUGE-Lsum reads a text."""
    return "\n".join(split_answer(text))


def lead3(text: str) -> str:
    spans = split_sentences(text, Span(0, len(text)))
    return " ".join(text[s.start : s.end] for s in spans[:3])


def supported_share(summary: dict[str, Any]) -> float | None:
    """Of the summary's sentences, the share citing at least one supported passage."""
    supported = {c["n"] for c in summary["citations"] if c["supported"]}
    sentences = [s for s in split_answer(summary["summary"]) if s.strip()]
    if not sentences or summary["refused"]:
        return None
    cited = [{int(n) for n in MARKER.findall(s)} for s in sentences]
    return sum(bool(numbers & supported) for numbers in cited) / len(sentences)


def plain(summary: str) -> str:
    """The summary without its `[n]` markers, as ROUGE should read it."""
    return re.sub(r"\s*\[\d+(?:[,;]\s*\d+)*\]", "", summary)


def naive_summary(llm: LLM, texts: list[str], settings: Settings) -> str:
    budget = settings.llm.context_tokens - 2 * settings.llm.max_tokens - 200
    room = int(budget * CHARS_PER_TOKEN)
    share = room // max(len(texts), 1)
    articles = [text[:share] for text in texts]  # each article cut alike to fit
    words = settings.summary.words
    messages = [{"role": "user", "content": render(
        "naive_summary", articles=articles, words=words,
        sentences=sentence_budget(None, words, settings.summary.sentences))}]
    return llm.complete(messages, 2 * settings.llm.max_tokens).text.strip()


def run_summary_eval(path: Path, settings: Settings, out: Path, limit: int | None = None,
                     half: str | None = None, progress: Callable[[str], None] | None = None
                     ) -> dict[str, Any]:
    clusters = load_clusters(path)
    if half:
        clusters = [c for c in clusters if split_half(c.id) == half]
    clusters = clusters[:limit] if limit else clusters
    if not clusters:
        raise ConfigError(f"no clusters to score in {path}")
    corpus = path.parent / "corpus"
    kb = KnowledgeBase(eval_settings(settings, out))
    report = kb.ingest([corpus])
    llm = kb.llm
    rows: list[Scored] = []
    for cluster in clusters:
        texts = [(corpus / name).read_text(encoding="utf-8") for name in cluster.files]
        started = time.perf_counter()
        ours = kb.summarize(sources=cluster.files).as_dict()
        rows.append(_scored(cluster, "this project", plain(ours["summary"]), started,
                            supported_share(ours)))
        started = time.perf_counter()
        rows.append(_scored(cluster, "lead-3", lead3(texts[0]), started))
        if llm is not None:
            started = time.perf_counter()
            rows.append(_scored(cluster, "naive", naive_summary(llm, texts, settings), started))
        if progress:
            progress(f"{cluster.id}: R-1 " + ", ".join(
                f"{r.system} {r.rouge1:.3f}" for r in rows if r.id == cluster.id))
    result = {"dataset": str(path), "clusters": len(clusters), "half": half,
              "backend": {"llm": settings.llm.backend, "embeddings": settings.embeddings.backend},
              "ingest_failed": report.failed, "systems": _table(rows),
              "rows": [asdict(r) for r in rows]}
    out.mkdir(parents=True, exist_ok=True)
    (out / "summaries.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def _scored(cluster: Cluster, system: str, summary: str, started: float,
            supported: float | None = None) -> Scored:
    latency = (time.perf_counter() - started) * 1000
    scores = rouge(summary, cluster.reference)
    return Scored(cluster.id, system, summary, scores["rouge1"], scores["rouge2"],
                  scores["rougeL"], len(summary.split()), round(latency, 1), supported)


def _table(rows: list[Scored]) -> dict[str, dict[str, float | None]]:
    table: dict[str, dict[str, float | None]] = {}
    for system in SYSTEMS:
        mine = [r for r in rows if r.system == system]
        if not mine:
            continue
        shares = [r.supported for r in mine if r.supported is not None]
        table[system] = {
            "rouge1": statistics.fmean(r.rouge1 for r in mine),
            "rouge2": statistics.fmean(r.rouge2 for r in mine),
            "rougeL": statistics.fmean(r.rougeL for r in mine),
            "words": statistics.fmean(r.words for r in mine),
            "latency_p50_ms": statistics.median(r.latency_ms for r in mine),
            "supported": statistics.fmean(shares) if shares else None,
        }
    return table


def format_table(result: dict[str, Any]) -> str:
    lines = [f"{'system':<14}{'R-1':>7}{'R-2':>7}{'R-L':>7}{'words':>7}{'p50 s':>8}"
             f"{'supported':>11}"]
    for system, s in result["systems"].items():
        supported = f"{s['supported']:.3f}" if s["supported"] is not None else "-"
        lines.append(f"{system:<14}{100 * s['rouge1']:>7.1f}{100 * s['rouge2']:>7.1f}"
                     f"{100 * s['rougeL']:>7.1f}{s['words']:>7.0f}"
                     f"{s['latency_p50_ms'] / 1000:>8.1f}{supported:>11}")
    return "\n".join(lines)
