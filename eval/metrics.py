"""Scores for one case and their aggregates. Each metric is defined in its docstring."""

from __future__ import annotations

import re
import statistics
import string
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

from eval.cases import Case

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation + "“”‘’–—"})


def normalize(text: str) -> str:
    """Lower case, accents and punctuation dropped, articles removed, spaces folded.

    Thousands separators are kept as digits ("5,200" and "5200" both become "5200").
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = _ARTICLES.sub(" ", text.translate(_PUNCTUATION))
    return " ".join(text.split())


def fold(text: str) -> str:
    """White space folded (for matching gold fact sentences inside chunks)."""
    return " ".join(text.split())


def contains(haystack: str, needle: str) -> bool:
    """`needle` appears in `haystack` as whole words, both normalized."""
    needle = normalize(needle)
    return bool(needle) and f" {needle} " in f" {normalize(haystack)} "


def correct(case: Case, got: str) -> bool:
    """Answer correctness: the short answer or an accepted variant appears in `got`
    (normalized, whole words), or every key fact in `facts` does."""
    if any(contains(got, variant) for variant in [case.answer or "", *case.accept] if variant):
        return True
    return bool(case.facts) and all(contains(got, fact) for fact in case.facts)


def token_f1(expected: str, got: str) -> float:
    """SQuAD-style token F1 between the expected short answer and the answer given."""
    truth, guess = normalize(expected).split(), normalize(got).split()
    common = sum((Counter(truth) & Counter(guess)).values())
    if not truth or not guess or not common:
        return 0.0
    precision, recall = common / len(guess), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def crag(answerable: bool, refused: bool, is_correct: bool) -> int:
    """CRAG-style score of one case: +1 correct, 0 refused (missing), -1 wrong.

    For an unanswerable case a refusal is the correct response (+1) and any
    answer is a hallucination (-1).
    """
    if not answerable:
        return 1 if refused else -1
    if refused:
        return 0
    return 1 if is_correct else -1


def source_scores(expected: Sequence[str], cited: Sequence[str]) -> tuple[float, float]:
    """Source-level citation precision and recall: cited files against expected files.

    Precision: share of distinct cited files that are expected. Recall: share of
    expected files cited. Both 1.0 when nothing is expected and nothing cited.
    """
    want, have = set(expected), set(cited)
    precision = len(want & have) / len(have) if have else float(not want)
    recall = len(want & have) / len(want) if want else 1.0
    return precision, recall


def sentence_scores(text: str, citations: list[dict[str, Any]]) -> tuple[float, float]:
    """Sentence-level citation quality, in the spirit of ALCE.

    Citation recall: share of answer sentences that carry at least one citation
    marker whose citation is `supported` (its passage backs the sentence).
    Citation precision: share of citations that are `supported`.
    """
    supported = {c["n"] for c in citations if c["supported"]}
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]
    backed = sum(1 for s in sentences
                 if {int(n) for n in re.findall(r"\[(\d+)\]", s)} & supported)
    recall = backed / len(sentences) if sentences else 0.0
    precision = len([c for c in citations if c["supported"]]) / len(citations) if citations \
        else 0.0
    return recall, precision


def conflict_detected(case: Case, citations: list[dict[str, Any]],
                      conflicts: list[dict[str, Any]]) -> bool:
    """Conflict detection: the answer cites every expected side and `conflicts` is filled."""
    cited = {c["source"] for c in citations}
    return bool(conflicts) and set(case.sources) <= cited


def names_values(case: Case, got: str) -> bool:
    """Whether an answer to a disagreement names every side: a gold answer (or, where the
    answers belong to different entities of one name, every one of them) and every value
    the disagreeing sources give (`wrong_answers`)."""
    gold = (all(contains(got, fact) for fact in case.facts) if case.facts
            else any(contains(got, v) for v in [case.answer or "", *case.accept] if v))
    return gold and all(contains(got, wrong) for wrong in case.wrong_answers)


def stale(published: Sequence[str | None], as_of: str, days: int = 7) -> bool:
    """Whether any of the cited reports is older than the week before `as_of`."""
    from datetime import date, timedelta

    cutoff = (date.fromisoformat(as_of) - timedelta(days=days)).isoformat()
    return any(p and p < cutoff for p in published)


def first_hit(gold_facts: list[str], ranked_texts: list[str]) -> int | None:
    """Rank (1-based) of the first text that contains a gold fact (white space folded)."""
    facts = [fold(f) for f in gold_facts]
    for rank, text in enumerate(ranked_texts, 1):
        if any(fact in fold(text) for fact in facts):
            return rank
    return None


def retrieval_ranks(case: Case, ranked_texts: list[str]) -> int | None:
    """Rank of the first retrieved chunk that contains one of the case's gold facts."""
    return first_hit(case.gold_facts, ranked_texts)


def hits_and_mrr(ranks: list[int | None], depth: int = 10) -> dict[str, float]:
    """Hits@4, Hits@10 (a gold fact within the top k) and MRR@10 over the given ranks."""
    n = len(ranks) or 1
    return {"hits@4": sum(1 for r in ranks if r and r <= 4) / n,
            "hits@10": sum(1 for r in ranks if r and r <= depth) / n,
            "mrr@10": sum(1 / r for r in ranks if r and r <= depth) / n}


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def answer_claims(text: str, citations: list[dict[str, Any]]
                  ) -> list[tuple[str, list[dict[str, Any]]]]:
    """The claims an answer ships, each with the citations it rests on: its sentences,
    markers removed. The notes appended after it (the sides of a conflict or a comparison
    in their own words, a denial quoted, the part of a question no article bears out)
    quote passages or tell what the articles hold and make no claim of their own, so they
    are left out, as is a lead-in ("As of 2020-01-20: ")."""
    from rag.answer import LEAD_IN, NOTES_START
    from rag.citations import split_answer

    quotes = {c["n"]: c for c in citations}
    claims = []
    answer = LEAD_IN.sub("", NOTES_START.split(text, maxsplit=1)[0])
    for sentence in split_answer(answer):
        cited = [quotes[int(n)] for n in re.findall(r"\[(\d+)\]", sentence)
                 if int(n) in quotes]
        claim = re.sub(r"\s*\[\d+\]", "", sentence).strip().rstrip(".")
        if claim:
            claims.append((claim, cited))
    return claims
