"""Run a dataset through a configuration: ingest its corpus, answer every case, score.

    report = run_eval(load_dataset("seeds"), settings, out=Path("eval/out/seeds"))

The store lives under `out` (one per embedding backend), apart from the user's
own. Ingest is idempotent and exact, so a second run over the same corpus
reuses it and scores the same as a fresh one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval import metrics
from eval.cases import Case, Dataset
from rag.context import evidence_label
from rag.errors import ConfigError, RagError
from rag.knowledge_base import KnowledgeBase
from rag.llm import LLM
from rag.settings import Settings
from rag.verify import ClaimVerifier, Evidence, ModelVerifier


@dataclass
class Outcome:
    """What one case produced and how it scored."""

    id: str
    type: str
    question: str
    expected: dict[str, Any]
    trap: str | None = None
    got: str = ""
    refused: bool = False
    citations: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    correct: bool = False
    token_f1: float | None = None
    crag: int = 0
    source_precision: float | None = None
    source_recall: float | None = None
    citation_recall: float | None = None
    citation_precision: float | None = None
    conflict_detected: bool | None = None
    conflict_expected: bool | None = None
    conflict_reported: bool | None = None
    values_named: bool | None = None
    stale_source: bool | None = None
    retrieval_scored: bool = False
    retrieval_rank: int | None = None
    latency_ms: float = 0.0
    weigh_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    judge: bool | None = None
    claims_entailed: float | None = None
    claims_entailed_judge: float | None = None
    error: str | None = None

    @property
    def passed(self) -> bool:
        return (self.crag == 1 and self.conflict_detected is not False and self.error is None
                and self.conflict_reported in (None, self.conflict_expected))


@dataclass
class Report:
    dataset: str
    backend: dict[str, str]
    metrics: dict[str, Any]
    by_type: dict[str, dict[str, Any]]
    outcomes: list[Outcome]
    settings: dict[str, Any]
    by_trap: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "backend": self.backend, "metrics": self.metrics,
                "by_type": self.by_type, "by_trap": self.by_trap, "settings": self.settings,
                "cases": [asdict(o) | {"passed": o.passed} for o in self.outcomes]}


def eval_settings(settings: Settings, out: Path) -> Settings:
    """The same configuration with its store under `out`; the bundled model stays where it is.

    The LLM file is resolved against the original data folder so each output
    folder does not assemble its own 1.1 GB copy.
    """
    updates: dict[str, Any] = {"data_dir": out / f"store-{_slug(settings.embeddings.backend)}"}
    if settings.llm.backend == "llama-cpp" and settings.llm.model_path is None:
        from rag.llm.model_files import bundled_model_path

        llm = settings.llm.model_copy(update={
            "model_path": bundled_model_path(settings.llm.model, settings.data_dir)})
        updates["llm"] = llm
    return settings.model_copy(update=updates)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60]


def run_eval(dataset: Dataset, settings: Settings, out: Path, corpus: Path | None = None,
             limit: int | None = None, judge: LLM | None = None,
             progress: bool = False, as_of: bool = True) -> Report:
    """Answer every case and score it; `as_of=False` asks dated cases without their date
    (the answer then draws on every report, as a user who gives no date gets)."""
    folders = [corpus] if corpus else dataset.corpus or []
    missing = [folder for folder in folders if not folder.is_dir()]
    if not folders or missing:
        raise ConfigError(f"dataset {dataset.name!r} needs its corpus folder"
                          f"{': ' + str(missing[0]) + ' is missing' if missing else ''}; "
                          "pass --corpus DIR")
    kb = KnowledgeBase(eval_settings(settings, out))
    ingested = kb.ingest(folders, prune=True, progress=progress)
    stored = ingested.added + ingested.updated + ingested.unchanged
    if ingested.failed and not stored:
        raise ConfigError(f"no corpus file could be ingested, e.g. "
                          f"{ingested.failed[0]['path']}: {ingested.failed[0]['error']}")
    cases = dataset.cases[:limit] if limit else dataset.cases
    outcomes = [run_case(kb, case, judge, as_of)
                for case in tqdm(cases, desc=dataset.name, unit="case", disable=not progress)]
    by_type = {kind: aggregate([o for o in outcomes if o.type == kind])
               for kind in sorted({o.type for o in outcomes})}
    by_trap = {trap: aggregate([o for o in outcomes if o.trap == trap])
               for trap in sorted({o.trap for o in outcomes if o.trap})}
    return Report(dataset.name, kb.answers.backend, aggregate(outcomes), by_type, outcomes,
                  {"corpus": [str(folder) for folder in folders], "cases": len(cases),
                   # Benchmarks ship a few files that are not articles (binary, empty):
                   # the run goes on without them and says which.
                   "not_ingested": ingested.failed,
                   "retrieval": kb.settings.retrieval.model_dump(),
                   "chunking": kb.settings.chunking.model_dump(), "as_of": as_of}, by_trap)


def run_case(kb: KnowledgeBase, case: Case, judge: LLM | None = None,
             as_of: bool = True) -> Outcome:
    expected = {k: v for k, v in (("answer", case.answer), ("accept", case.accept),
                                  ("facts", case.facts), ("sources", case.sources),
                                  ("as_of", case.as_of), ("wrong_answers", case.wrong_answers),
                                  ("conflict", case.conflict)) if v is not None and v != []}
    outcome = Outcome(case.id, case.type, case.question or f"summarize {case.summarize}",
                      expected, case.trap)
    started = time.perf_counter()
    try:
        result = _ask(kb, case, as_of)
    except RagError as exc:
        outcome.error = str(exc)
        outcome.crag = -1
        return outcome
    outcome.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    outcome.got = result.get("answer", result.get("summary", ""))
    outcome.refused = bool(result.get("refused", False))
    outcome.citations = result["citations"]
    outcome.conflicts = result.get("conflicts", [])
    outcome.prompt_tokens = int(result["timings"].get("prompt_tokens", 0))
    outcome.completion_tokens = int(result["timings"].get("completion_tokens", 0))
    outcome.weigh_ms = float(result["timings"].get("weigh_ms", 0.0))
    score(case, outcome)
    if case.gold_facts:
        hits = kb.search(case.question, 10)
        outcome.retrieval_scored = True
        outcome.retrieval_rank = metrics.retrieval_ranks(case, [h.chunk.text for h in hits])
    if judge is not None and case.answerable and not outcome.refused:
        from eval.judge import verdict

        outcome.judge = verdict(judge, case, outcome.got)
    if not outcome.refused:
        outcome.claims_entailed = claims_entailed(kb.answers.verifier, case, outcome)
        if judge is not None:
            outcome.claims_entailed_judge = claims_entailed(ModelVerifier(judge), case, outcome)
    return outcome


def claims_entailed(verifier: ClaimVerifier, case: Case, outcome: Outcome) -> float | None:
    """Share of the answer's claims whose cited passages `verifier` finds state them.

    An answer to a question (not a summary) is checked as an answer to it: "Yes"
    or "Alameda Research" means nothing without the question.
    """
    claims = metrics.answer_claims(outcome.got, outcome.citations)
    if not claims:
        return None
    question = case.question if case.type != "summary" else None
    entailed = [bool(cited) and verifier.check(
        claim, [cited_evidence(c) for c in cited], question).entailed for claim, cited in claims]
    return round(sum(entailed) / len(entailed), 3)


def cited_evidence(citation: dict[str, Any]) -> Evidence:
    """A citation as the answer's own verifier read its passage: labelled with its outlet
    and date (`rag.citations.evidence_of`). "Does the Guardian report X, while ...?" asks
    which outlet said what; without the labels no passage can state it."""
    return Evidence(citation["quote"], evidence_label(citation.get("outlet"),
                                                      citation.get("published")))


def _ask(kb: KnowledgeBase, case: Case, dated: bool = True) -> dict[str, Any]:
    as_of = date.fromisoformat(case.as_of) if case.as_of and dated else None
    if case.type == "summary":
        return kb.summarize(case.summarize, None if case.summarize else case.question,
                            as_of).as_dict()
    return kb.ask(case.question, as_of=as_of).as_dict()


def score(case: Case, outcome: Outcome) -> None:
    """Fill the outcome's scores from what it got (see eval.metrics for each definition)."""
    outcome.correct = (outcome.refused if not case.answerable
                       else not outcome.refused and metrics.correct(case, outcome.got))
    if case.answer and not outcome.refused:
        outcome.token_f1 = round(max(metrics.token_f1(v, outcome.got)
                                     for v in [case.answer, *case.accept]), 3)
    outcome.crag = metrics.crag(case.answerable, outcome.refused, outcome.correct)
    if case.type == "ambiguous" or case.conflict is not None:
        outcome.conflict_expected = True if case.type == "ambiguous" else case.conflict
        outcome.conflict_reported = bool(outcome.conflicts)
        if outcome.conflict_expected:
            outcome.values_named = not outcome.refused and metrics.names_values(case, outcome.got)
    if outcome.refused:
        return
    cited = [c["source"] for c in outcome.citations]
    if case.sources:
        outcome.source_precision, outcome.source_recall = (
            round(v, 3) for v in metrics.source_scores(case.sources, cited))
    recall, precision = metrics.sentence_scores(outcome.got, outcome.citations)
    outcome.citation_recall, outcome.citation_precision = round(recall, 3), round(precision, 3)
    if case.type == "conflict":
        outcome.conflict_detected = metrics.conflict_detected(case, outcome.citations,
                                                              outcome.conflicts)
    if case.as_of and case.answerable and not outcome.correct:
        outcome.stale_source = metrics.stale([c.get("published") for c in outcome.citations],
                                             case.as_of)


def aggregate(outcomes: list[Outcome]) -> dict[str, Any]:
    """Means and shares over outcomes; None where no case qualifies."""
    answerable = [o for o in outcomes if o.type != "unanswerable"]
    unanswerable = [o for o in outcomes if o.type == "unanswerable"]
    answered = [o for o in outcomes if not o.refused and o.error is None]
    gold = [o.retrieval_rank for o in outcomes if o.retrieval_scored]

    def share(items: list[Outcome], test: Callable[[Outcome], bool]) -> float | None:
        return round(sum(map(test, items)) / len(items), 3) if items else None

    def average(values: list[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return round(metrics.mean(present), 3) if present else None

    latencies = [o.latency_ms for o in outcomes if o.error is None]
    result: dict[str, Any] = {
        "cases": len(outcomes),
        "accuracy": share(answerable, lambda o: o.correct),
        # Answered right when there is an answer, refused when there is none.
        "right_behaviour": share([o for o in outcomes if o.type != "summary"],
                                 lambda o: o.correct),
        "token_f1": average([o.token_f1 for o in answerable if o.expected.get("answer")]),
        "negative_rejection": share(unanswerable, lambda o: o.refused),
        "false_refusal": share(answerable, lambda o: o.refused),
        "crag_score": average([float(o.crag) for o in outcomes]),
        "source_precision": average([o.source_precision for o in answered]),
        "source_recall": average([o.source_recall for o in answered]),
        "citation_recall": average([o.citation_recall for o in answered]),
        "citation_precision": average([o.citation_precision for o in answered]),
        "conflict_detection": share([o for o in outcomes if o.type == "conflict"],
                                    lambda o: bool(o.conflict_detected)),
        # Datasets that label disagreement: flagged where sources disagree (or a name
        # means several things), flagged where they agree, and every side named.
        "conflict_recall": share([o for o in outcomes if o.conflict_expected and
                                  o.type != "ambiguous"], lambda o: bool(o.conflict_reported)),
        "ambiguity_recall": share([o for o in outcomes if o.type == "ambiguous"],
                                  lambda o: bool(o.conflict_reported)),
        "false_alarms": share([o for o in outcomes if o.conflict_expected is False],
                              lambda o: bool(o.conflict_reported)),
        "values_named": share([o for o in outcomes if o.conflict_expected],
                              lambda o: bool(o.values_named)),
        # Dated questions: wrong answers that cite a report older than the week asked about.
        "stale_wrong": share([o for o in outcomes if o.stale_source is not None and
                              not o.refused], lambda o: bool(o.stale_source)),
        "latency_p50_ms": round(metrics.percentile(latencies, 0.5), 1),
        "latency_p95_ms": round(metrics.percentile(latencies, 0.95), 1),
        # The part of each answer spent looking for and checking other sources' answers.
        "weigh_p50_ms": round(metrics.percentile([o.weigh_ms for o in outcomes
                                                  if o.error is None], 0.5), 1),
        "prompt_tokens_mean": average([float(o.prompt_tokens) for o in outcomes]),
        "completion_tokens_mean": average([float(o.completion_tokens) for o in outcomes]),
        "errors": sum(1 for o in outcomes if o.error),
        "passed": sum(1 for o in outcomes if o.passed),
    }
    if gold:
        result.update({k: round(v, 3) for k, v in metrics.hits_and_mrr(gold).items()})
    result["claims_entailed"] = average([o.claims_entailed for o in answered])
    if any(o.claims_entailed_judge is not None for o in answered):
        result["claims_entailed_judge"] = average([o.claims_entailed_judge for o in answered])
    judged = [o for o in outcomes if o.judge is not None]
    if judged:
        result["judge_accuracy"] = share(judged, lambda o: bool(o.judge))
    return result

