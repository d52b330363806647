"""Claim-verifier accuracy on the labelled pairs (eval/datasets/verifier/pairs.yaml).

    python eval/benchmarks/verifier_accuracy.py [--only dev|test]

Scores the lexical verifier (no model) and the model verifier (the configured
LLM, by default the bundled 1.5B) on the same pairs and prints accuracy,
near-miss accuracy, false accepts and rejects, per kind and per half.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval.cases import split_half  # noqa: E402
from eval.verifier_pairs import load_pairs, score_verifier  # noqa: E402
from rag.llm import make_llm  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.verify import LexicalVerifier, ModelVerifier  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["dev", "test"], help="score one half only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pairs = load_pairs()
    if args.only:
        pairs = [p for p in pairs if split_half(p.id) == args.only]
    llm = make_llm(load_settings())
    verifiers = [LexicalVerifier()] + ([ModelVerifier(llm)] if llm else [])
    reports = [score_verifier(v, pairs) for v in verifiers]
    if args.json:
        print(json.dumps([asdict(r) for r in reports], indent=2))
        return
    print(f"{len(pairs)} pairs, {sum(p.near_miss for p in pairs)} near misses, "
          f"{sum(p.entailed for p in pairs)} entailed")
    print("| verifier | accuracy | near misses | false accept | false reject | dev | test "
          "| ms/pair |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in reports:
        print(f"| {r.verifier} | {r.accuracy:.3f} | {r.near_miss_accuracy:.3f} | "
              f"{r.false_accept:.3f} | {r.false_reject:.3f} | {r.by_half['dev']:.3f} | "
              f"{r.by_half['test']:.3f} | {r.mean_ms:.0f} |")
    for r in reports:
        print(f"{r.verifier} by kind: " + ", ".join(f"{k} {v:.2f}" for k, v in r.by_kind.items()))
        print(f"{r.verifier} wrong: {' '.join(r.wrong)}")


if __name__ == "__main__":
    main()
