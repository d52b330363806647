"""Labelled (claim, passage, entailed?) pairs, and the claim verifier's score on them.

    pairs = load_pairs()                      # eval/datasets/verifier/pairs.yaml
    report = score_verifier(make_verifier(llm), pairs)

A pair whose `question` is set holds an answer to that question as its claim.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eval.cases import DATASETS, split_half
from rag.errors import ConfigError
from rag.verify import ClaimVerifier, Evidence

Kind = Literal["plain", "entity", "number", "negation", "role", "place", "time", "unrelated"]


class Pair(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    passage: str = Field(min_length=1)
    claim: str = Field(min_length=1)
    question: str | None = None
    entailed: bool
    near_miss: bool = Field(False, description="A negative that differs by one detail.")
    kind: Kind


class PairSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    pairs: list[Pair] = Field(min_length=1)


def load_pairs(path: Path = DATASETS / "verifier" / "pairs.yaml") -> list[Pair]:
    try:
        pairs = PairSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).pairs
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"verifier pairs {path} are invalid:\n{exc}") from None
    ids = [p.id for p in pairs]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"verifier pairs {path}: an id appears twice")
    return pairs


@dataclass
class VerifierReport:
    """Accuracy: share of pairs whose verdict equals the label. `near_miss_accuracy`: the
    same over the near misses alone. `false_accept`: share of negatives judged entailed;
    `false_reject`: share of entailed pairs judged not entailed."""

    verifier: str
    pairs: int
    accuracy: float
    near_miss_accuracy: float
    false_accept: float
    false_reject: float
    by_kind: dict[str, float]
    by_half: dict[str, float]
    mean_ms: float
    wrong: list[str] = field(default_factory=list)


def _share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 3) if flags else 0.0


def score_verifier(verifier: ClaimVerifier, pairs: list[Pair]) -> VerifierReport:
    right: dict[str, bool] = {}
    started = time.perf_counter()
    for pair in pairs:
        verdict = verifier.check(pair.claim, [Evidence(pair.passage)], pair.question)
        right[pair.id] = verdict.entailed == pair.entailed
    elapsed = (time.perf_counter() - started) * 1000
    negatives = [p for p in pairs if not p.entailed]
    positives = [p for p in pairs if p.entailed]
    return VerifierReport(
        verifier=verifier.name, pairs=len(pairs),
        accuracy=_share(list(right.values())),
        near_miss_accuracy=_share([right[p.id] for p in pairs if p.near_miss]),
        false_accept=_share([not right[p.id] for p in negatives]),
        false_reject=_share([not right[p.id] for p in positives]),
        by_kind={kind: _share([right[p.id] for p in pairs if p.kind == kind])
                 for kind in sorted({p.kind for p in pairs})},
        by_half={half: _share([right[p.id] for p in pairs if split_half(p.id) == half])
                 for half in ("dev", "test")},
        mean_ms=round(elapsed / len(pairs), 1),
        wrong=[p.id for p in pairs if not right[p.id]])
