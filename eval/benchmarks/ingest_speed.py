"""Benchmark: ingest the MultiHop-RAG corpus with the bundled MiniLM and print figures.

Prints files, chunks, chunks/s, the ratio of that rate to a bare
`SentenceTransformer.encode` over the same texts in the same run (goal >= 0.85),
the re-ingest time of the unchanged corpus (goal <= 3 s), and peak RSS.

    python eval/benchmarks/ingest_speed.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from rag.knowledge_base import KnowledgeBase
from rag.settings import load_settings
from rag.store import embedding_input

DEFAULT_CORPUS = Path(__file__).resolve().parents[2].parent / "shared/benchdata/multihop/corpus"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings({"RAG_DATA_DIR": data_dir})
        kb = KnowledgeBase(settings)
        kb.embedder.embed_query("warm up")  # model load is not ingest throughput

        started = time.perf_counter()
        report = kb.ingest([args.corpus])
        ingest_s = time.perf_counter() - started
        chunks = kb.store.chunks()
        rate = len(chunks) / ingest_s

        texts = [embedding_input(c.title, c.text) for c in chunks]
        model = kb.embedder._load()  # the same SentenceTransformer instance, bare
        started = time.perf_counter()
        model.encode(texts, batch_size=settings.embeddings.batch_size,
                     normalize_embeddings=True, convert_to_numpy=True)
        bare_rate = len(texts) / (time.perf_counter() - started)

        started = time.perf_counter()
        again = KnowledgeBase(settings).ingest([args.corpus])
        reingest_s = time.perf_counter() - started
        assert again.unchanged == report.added and again.chunks_added == 0

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"files             {report.added} ({len(report.failed)} failed)")
    print(f"chunks            {len(chunks)} (size {settings.chunking.size}, "
          f"overlap {settings.chunking.overlap})")
    print(f"ingest            {ingest_s:.1f} s, {rate:.1f} chunks/s")
    print(f"bare encode       {bare_rate:.1f} chunks/s")
    print(f"ratio             {rate / bare_rate:.2f} (goal >= 0.85)")
    print(f"re-ingest         {reingest_s:.2f} s unchanged (goal <= 3 s)")
    print(f"peak RSS          {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
