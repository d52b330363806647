"""Benchmark: ingest news pages by address from a local site, and poll them as a feed.

The 300 MultiHop-RAG articles are served as HTML pages (navigation, byline,
related links, footer) by a site on 127.0.0.1, so the network is out of the
figure: what is timed is fetching, article extraction (trafilatura, htmldate),
chunking, embedding and writing. Prints pages/s for `rag ingest URL...`'s code,
then a feed of the same pages polled twice (the second poll answers 304), and
how many pages kept their title and date.

    python eval/benchmarks/fetch_speed.py [--corpus DIR] [--embedder minilm|hash] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from eval.newssite import news_site, story
from rag.knowledge_base import KnowledgeBase
from rag.settings import load_settings

DEFAULT_CORPUS = Path(__file__).resolve().parents[2].parent / "shared/benchdata/multihop/corpus"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--limit", type=int, default=300)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"no corpus at {args.corpus}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    files = sorted(args.corpus.glob("*.txt"))[: args.limit]
    with news_site(files) as site, tempfile.TemporaryDirectory() as data:
        environ = {"RAG_DATA_DIR": data, "RAG_EMBEDDINGS": args.embedder,
                   "RAG_FETCH_ALLOW_PRIVATE": "true"}
        kb = KnowledgeBase(load_settings(environ))
        kb.embedder.embed_query("warm up")  # model load is not part of the rate
        urls = [f"{site.url}/world/{path.stem}.html" for path in files]

        started = time.perf_counter()
        report, _ = kb.add_urls(urls)
        seconds = time.perf_counter() - started
        print(f"URL ingest ({args.embedder}): {len(urls)} pages in {seconds:.1f} s = "
              f"{len(urls) / seconds:.1f} pages/s; {report.chunks_added} chunks; "
              f"failed {len(report.failed)}")

        extracted = {record.url: record for record in kb.documents()}
        titles = dates = 0
        for path, url in zip(files, urls, strict=True):
            title, day, _, _ = story(path)
            record = extracted.get(url)
            titles += record is not None and record.title == title
            dates += record is not None and record.published == day
        print(f"metadata kept: title {titles}/{len(urls)}, date {dates}/{len(urls)}")

        site.publish("/feed.xml", [(story(p)[0], f"/world/{p.stem}.html", story(p)[1])
                                   for p in files])
        kb.add_feed(site.url + "/feed.xml")
        for label in ("first poll (pages stored already by address)", "second poll"):
            started = time.perf_counter()
            [result] = kb.poll_feeds()
            print(f"{label}: {result.status} in {time.perf_counter() - started:.1f} s, "
                  f"added {result.added}, unchanged {result.unchanged}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
