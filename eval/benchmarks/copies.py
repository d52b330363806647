"""Benchmark: recognising syndicated copies (near-duplicate articles) in the MultiHop corpus.

The 300 MultiHop-RAG articles are the distinct stories (some are different
outlets' own reports of one event: those must stay apart). Copies are made from
every third article, twice, the way a story travels between sites:

- `wire`: an agency dateline and a credit line added, 8% of the words changed;
- `trimmed`: a new first sentence, the last 40% of the sentences cut, 5% of words changed.

A pair of articles is a true copy pair when both come from the same original.
The articles are split in two halves by a hash of the original's file name: the
threshold is chosen on the `dev` half (best F1 of the pairwise similarity) and
the grouping is then measured on the `test` half with that threshold, through
the same index `rag ingest` uses. Prints precision, recall and grouping time.

    python eval/benchmarks/copies.py [--bench ../shared/benchdata/multihop]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import tempfile
import time
from itertools import combinations
from pathlib import Path

import numpy as np

from rag.articles import read_article
from rag.copies import CopyIndex, signature, similarity
from rag.settings import load_settings

DEFAULT_BENCH = Path(__file__).resolve().parents[2].parent / "shared/benchdata/multihop"
THRESHOLDS = [round(t, 2) for t in np.arange(0.15, 0.95, 0.05)]


def half(name: str) -> str:
    return "dev" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "test"


def edit_words(text: str, share: float, rng: random.Random) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), int(len(words) * share)):
        words[i] = rng.choice(["the", "said", "reported", "also", "new", words[i].upper()])
    return " ".join(words)


def wire(text: str, rng: random.Random) -> str:
    agency = rng.choice(["(Reuters) -", "(AP) —", "(AFP) -"])
    return f"{agency} {edit_words(text, 0.08, rng)}\n\nReporting by staff; editing by the desk."


def trimmed(text: str, rng: random.Random) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept = sentences[1 : max(2, int(len(sentences) * 0.6))]
    lede = "In a story that developed over the day, officials and witnesses gave new details."
    return lede + " " + edit_words(" ".join(kept), 0.05, rng)


def articles(bench: Path) -> dict[str, tuple[str, str]]:
    """name -> (original's name, text) for every original and its two copies."""
    rng = random.Random(13)
    found: dict[str, tuple[str, str]] = {}
    for n, path in enumerate(sorted((bench / "corpus").glob("*.txt"))):
        text = read_article(path).body_text
        found[path.name] = (path.name, text)
        if n % 3 == 0:
            found[f"{path.stem}-wire.txt"] = (path.name, wire(text, rng))
            found[f"{path.stem}-trimmed.txt"] = (path.name, trimmed(text, rng))
    return found


def pair_scores(items: dict[str, tuple[str, str]]) -> list[tuple[float, bool]]:
    signatures = {name: signature(text) for name, (_, text) in items.items()}
    return [(similarity(signatures[a], signatures[b]), items[a][0] == items[b][0])
            for a, b in combinations(sorted(items), 2)]


def grouped(items: dict[str, tuple[str, str]], threshold: float) -> tuple[float, float, float]:
    """Pairwise precision and recall of the groups the index forms, and seconds taken."""
    with tempfile.TemporaryDirectory() as folder:
        index = CopyIndex(Path(folder) / "copies.sqlite3", threshold)
        started = time.perf_counter()
        groups = {name: index.add(name, "k", text) for name, (_, text) in items.items()}
        seconds = time.perf_counter() - started
    tp = fp = fn = 0
    for a, b in combinations(sorted(items), 2):
        together, same = groups[a] == groups[b], items[a][0] == items[b][0]
        tp += together and same
        fp += together and not same
        fn += same and not together
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    args = parser.parse_args()
    if not (args.bench / "corpus").is_dir():
        raise SystemExit(f"no MultiHop corpus at {args.bench}")
    items = articles(args.bench)
    by_half = {h: {n: v for n, v in items.items() if half(v[0]) == h} for h in ("dev", "test")}

    dev = by_half["dev"]
    print("dev half: threshold  precision  recall  F1 (groups the index forms, pairwise)")
    rows = []
    for t in THRESHOLDS:
        precision, recall, _ = grouped(dev, t)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((t, precision, recall, f1))
    top = max(f1 for *_, f1 in rows)
    plateau = [t for t, *_, f1 in rows if f1 >= top - 1e-9]
    best = plateau[len(plateau) // 2]
    for t, precision, recall, f1 in rows:
        print(f"  {t:.2f}  {precision:.3f}  {recall:.3f}  {f1:.3f}"
              + ("  <- chosen" if t == best else ""))
    distinct = sorted((s for s, same in pair_scores(dev) if not same), reverse=True)[:3]
    print(f"  most similar distinct stories: {', '.join(f'{s:.2f}' for s in distinct)}")

    for name in ("test", "dev"):
        chosen = by_half[name]
        precision, recall, seconds = grouped(chosen, best)
        copies = sum(1 for n, (original, _) in chosen.items() if n != original)
        print(f"{name} half at {best:.2f}: {len(chosen)} articles ({copies} copies), "
              f"pairwise precision {precision:.3f}, recall {recall:.3f}, "
              f"grouped in {seconds:.2f} s ({1000 * seconds / len(chosen):.1f} ms/article)")
    default = load_settings({}).ingest.copy_threshold
    for threshold in dict.fromkeys((best, default)):
        precision, recall, seconds = grouped(items, threshold)
        print(f"all 300 + {len(items) - 300} copies at {threshold:.2f}"
              + (" (RAG_COPY_THRESHOLD)" if threshold == default else "")
              + f": precision {precision:.3f}, recall {recall:.3f}, grouped in {seconds:.2f} s")
    for name in ("test",):
        precision, recall, _ = grouped(by_half[name], default)
        print(f"{name} half at {default:.2f} (RAG_COPY_THRESHOLD): precision {precision:.3f}, "
              f"recall {recall:.3f}")


if __name__ == "__main__":
    main()
