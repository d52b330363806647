"""Benchmark: how search, writes, start-up, memory and disk grow with the archive.

A synthetic archive is built from the MultiHop-RAG corpus, copied until it
holds each size in chunks; every copy is its own set of sources, with the copy
number in each title and its dates moved by the copy number in days, so no two
chunks are the same. The store grows from one size to the next, and at each
size this prints:

- ingest rate of the copies added to reach it (chunks/s, through `rag ingest`'s code);
- hybrid search p50/p95 over the MultiHop questions (in this process, after one
  warm-up question), then the p50 of the same questions asked again, when what
  they read is in memory: the first pass pays for disk reads the second does not;
- ingest of one new article, then the first search after it (median of 5);
- `rag search` from process start to first result (a fresh interpreter);
- peak RSS of a `rag serve` process after 20 searches over HTTP;
- disk used by the data folder.

The embedder is the `hash` one unless `--embedder minilm`, so that the store
and the indexes are what is timed. A CSV and a PNG of the curves go to `--out`.

    python eval/benchmarks/scale.py --sizes 10k,100k [--embedder hash|minilm]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx

from eval.servers import free_port, running_server
from rag.knowledge_base import KnowledgeBase
from rag.settings import load_settings

PROJECT = Path(__file__).resolve().parents[2]
DEFAULT_BENCH = PROJECT.parent / "shared/benchdata/multihop"
DATE_LINE = re.compile(r"^Date: (\d{4}-\d\d-\d\d)", re.M)


@dataclass
class Row:
    chunks: int
    ingest_per_s: float
    search_p50_ms: float
    search_p95_ms: float
    repeat_search_p50_ms: float
    one_article_ingest_ms: float
    first_search_after_ms: float
    cold_cli_search_s: float
    serve_rss_mib: float
    disk_mib: float


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def write_copy(corpus: list[tuple[str, str]], archive: Path, copy: int) -> Path:
    folder = archive / f"copy{copy:05}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in corpus:
        text = text.replace("Title: ", f"Title: Edition {copy}: ", 1)
        if found := DATE_LINE.search(text):
            moved = date.fromisoformat(found.group(1)) + timedelta(days=copy)
            text = text.replace(found.group(0), f"Date: {moved.isoformat()}", 1)
        (folder / f"c{copy:05}_{name}").write_text(text, encoding="utf-8")  # a new source
    return folder


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed_ms(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def disk_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def serve_rss_mib(environment: dict[str, str], queries: list[str], work: Path) -> float:
    """Peak resident memory of a `rag serve` process after searches over HTTP."""
    port = free_port()
    command = [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1",
               "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running_server(command, f"{base}/health", work / "serve.log", env=environment) as server:
        for query in queries[:20]:
            httpx.post(f"{base}/search", json={"query": query, "k": 10},
                       timeout=120).raise_for_status()
        status = Path(f"/proc/{server.pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--sizes", default="10k,100k", help="archive sizes in chunks")
    parser.add_argument("--embedder", choices=["hash", "minilm"], default="hash")
    parser.add_argument("--work", type=Path, default=PROJECT / "eval/out/scale",
                        help="archive and store (reused: a larger size continues a smaller)")
    parser.add_argument("--out", type=Path, default=PROJECT / "eval/out")
    args = parser.parse_args()
    if not (args.bench / "corpus").is_dir():
        print(f"benchmark data not found under {args.bench}", file=sys.stderr)
        return 2
    corpus = [(p.name, p.read_text(encoding="utf-8"))
              for p in sorted((args.bench / "corpus").glob("*.txt"))]
    queries = [json.loads(line)["question"] for line in (args.bench / "questions.jsonl").open()]
    work = args.work / args.embedder
    archive, data = work / "archive", work / "data"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    environment.update({"RAG_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1",
                        "RAG_EMBEDDINGS": "hash" if args.embedder == "hash" else "minilm"})
    settings = load_settings(environment)
    kb = KnowledgeBase(settings)
    copies = len(list(archive.glob("copy*"))) if archive.exists() else 0

    rows: list[Row] = []
    run = time.strftime("%Y%m%d%H%M%S")  # a re-run on a grown store writes new articles
    print(f"{'chunks':>9} {'ingest/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'again ms':>8} "
          f"{'1 article':>10} {'1st search':>11} {'cold CLI s':>11} {'serve MiB':>10} "
          f"{'disk MiB':>9}", flush=True)
    for size in [parse_size(s) for s in args.sizes.split(",")]:
        before, started = kb.store.count(), time.perf_counter()
        while kb.store.count() < size:
            kb.ingest([write_copy(corpus, archive, copies)])
            copies += 1
        grown = kb.store.count() - before
        rate = grown / (time.perf_counter() - started) if grown else float("nan")

        kb.search(queries[0], 10)
        latencies = [timed_ms(lambda q=q: kb.search(q, 10)) for q in queries[:60]]
        again = [timed_ms(lambda q=q: kb.search(q, 10)) for q in queries[:60]]
        writes, firsts = [], []
        for n in range(5):
            fresh = archive / "fresh" / f"fresh{copies}_{run}_{n}.txt"
            fresh.parent.mkdir(parents=True, exist_ok=True)
            fresh.write_text(f"Title: Fresh report {copies} {run} {n}\nDate: 2024-01-0{n + 1}\n"
                             f"Source: Scale Wire\n\n{corpus[n][1].split(chr(10), 4)[-1]}",
                             encoding="utf-8")
            writes.append(timed_ms(lambda f=fresh: kb.ingest([f])))
            firsts.append(timed_ms(lambda q=queries[n]: kb.search(q, 10)))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rag.cli", "search", queries[1], "--k", "5"],
                       env=environment, check=True, capture_output=True)
        cold = time.perf_counter() - started
        row = Row(kb.store.count(), rate, statistics.median(latencies),
                  percentile(latencies, 0.95), statistics.median(again),
                  statistics.median(writes),
                  statistics.median(firsts), cold, serve_rss_mib(environment, queries, work),
                  disk_mib(data))
        rows.append(row)
        print(f"{row.chunks:>9,} {row.ingest_per_s:>9.0f} {row.search_p50_ms:>7.0f} "
              f"{row.search_p95_ms:>7.0f} {row.repeat_search_p50_ms:>8.0f} "
              f"{row.one_article_ingest_ms:>8.0f}ms "
              f"{row.first_search_after_ms:>9.0f}ms {row.cold_cli_search_s:>11.1f} "
              f"{row.serve_rss_mib:>10.0f} {row.disk_mib:>9.0f}", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"scale-{args.embedder}"
    with stem.with_suffix(".csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        writer.writerows(asdict(row) for row in rows)
    plot(rows, stem.with_suffix(".png"))
    print(f"wrote {stem}.csv and {stem}.png")
    return 0


def plot(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [row.chunks for row in rows]
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for name, label in (("search_p50_ms", "search p50"), ("search_p95_ms", "search p95"),
                        ("repeat_search_p50_ms", "search p50, asked again"),
                        ("first_search_after_ms", "first search after a write"),
                        ("one_article_ingest_ms", "ingest one article")):
        axes[0].plot(sizes, [getattr(row, name) for row in rows], marker="o", label=label)
    axes[0].set_ylabel("ms")
    axes[1].plot(sizes, [row.serve_rss_mib for row in rows], marker="o", label="serve RSS")
    axes[1].plot(sizes, [row.disk_mib for row in rows], marker="o", label="disk")
    axes[1].set_ylabel("MiB")
    axes[2].plot(sizes, [row.cold_cli_search_s for row in rows], marker="o",
                 label="`rag search`, cold start")
    axes[2].set_ylabel("s")
    for axis in axes:
        axis.set_xscale("log")
        axis.set_xlabel("chunks in the archive")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
