"""The `rag` command line. Translates RagError into messages and exit codes; nothing else."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.client import InProcess, Service, reachable_server
from rag.dates import parse_iso_date
from rag.errors import ArticleError, ConfigError, RagError, SourceNotFoundError
from rag.settings import Settings, env_fields, load_settings

if TYPE_CHECKING:  # imported when a command needs it: `rag search` through a server needs
    from rag.knowledge_base import KnowledgeBase  # neither the store nor a model

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def cmd_ingest(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from rag.ingest import IngestReport

    show_progress = not args.json and sys.stderr.isatty()
    urls = [p for p in args.paths if _is_address(p)]
    paths = [Path(p) for p in args.paths if not _is_address(p)]
    report = kb.ingest(paths, prune=args.prune, progress=show_progress) \
        if paths or not urls else IngestReport()
    if urls:
        fetched, _ = kb.add_urls(urls, progress=show_progress)
        report = report.merged(fetched)
    if args.json:
        _print_json(report.as_dict())
    else:
        print(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
              f"deleted {report.deleted}; {report.chunks_added} chunks written")
        for failure in report.failed:
            print(f"  failed: {failure['path']}: {failure['error']}", file=sys.stderr)
        if report.skipped:
            print(f"  skipped {len(report.skipped)} file(s) of unsupported types", file=sys.stderr)
    return EXIT_FAILED if report.failed else EXIT_OK


def _is_address(argument: str) -> bool:
    return "://" in argument and not Path(argument).exists()


def cmd_search(service: Service, args: argparse.Namespace) -> int:
    hits = service.search(args.query, args.k)
    if args.json:
        _print_json({"hits": hits})
        return EXIT_OK
    if not hits:
        print("no results (is anything ingested? see `rag documents`)")
    for rank, hit in enumerate(hits, 1):
        about = ", ".join(x for x in (hit["published"], hit["outlet"]) if x)
        print(f"{rank}. [{hit['score']:.3f}] {hit['source']} #{hit['chunk']} ({about}) "
              f"{hit['title']}")
        print(textwrap.indent(textwrap.shorten(hit["text"], 300), "   "))
    return EXIT_OK


def cmd_ask(service: Service, args: argparse.Namespace) -> int:
    streaming = not args.json and sys.stdout.isatty()

    def show(piece: str) -> None:
        print(piece, end="", flush=True)

    answer = service.ask(args.question, args.k, args.as_of, show if streaming else None)
    if args.json:
        _print_json(answer)
        return EXIT_OK
    if streaming:
        print("\n")
    print(answer["answer"])
    for c in answer["citations"]:
        flag = "" if c["supported"] else " (unsupported)"
        print(f"  [{c['n']}] {c['source']} ({c['published'] or 'undated'}) "
              f"{c['start']}-{c['end']}{flag}: {textwrap.shorten(c['quote'], 160)}")
        if c.get("copies"):
            print("      also carried by: " + ", ".join(
                f"{copy['outlet'] or '?'} ({copy['source']})" for copy in c["copies"]))
    for conflict in answer["conflicts"]:
        print(f"  {conflict['kind'].replace('_', ' ')}: {conflict['summary']}")
    return EXIT_OK


def cmd_summarize(service: Service, args: argparse.Namespace) -> int:
    if bool(args.sources) == (args.topic is not None):
        print("error: give SOURCE... or --topic TEXT (not both)", file=sys.stderr)
        return EXIT_USAGE
    summary = service.summarize(args.sources, args.topic, args.as_of, args.form,
                                args.sentences, args.words)
    if args.json:
        _print_json(summary)
        return EXIT_OK
    print(summary["summary"])
    for c in summary["citations"]:
        print(f"  [{c['n']}] {c['source']} ({c['published'] or 'undated'}) "
              f"{c['start']}-{c['end']}: {textwrap.shorten(c['quote'], 120)}")
    return EXIT_OK


def cmd_documents(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    records = kb.documents()
    if args.json:
        _print_json([record.summary() for record in records])
        return EXIT_OK
    if not records:
        print("no documents ingested; run `rag ingest PATH`")
    for record in records:
        print(f"{record.source}  {record.published or '----------'}  {record.chunks:>3} chunks  "
              f"{record.title}" + (f"  ({record.outlet})" if record.outlet else "")
              + (f"\n    same article as: {', '.join(record.copies)}" if record.copies else ""))
    return EXIT_OK


def cmd_delete(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    record = kb.delete(args.source)
    if args.json:
        _print_json({"deleted": record.source, "chunks": record.chunks})
    else:
        print(f"deleted {record.source} ({record.chunks} chunks)")
    return EXIT_OK


def cmd_feeds(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from rag.feeds import parse_every

    if args.action == "add":
        feed = kb.add_feed(args.url, parse_every(args.every) if args.every else None)
        shown: Any = feed.as_dict()
        lines = [f"following {feed.url} (#{feed.id}), polled every {_every(feed.every_s)}"]
    elif args.action == "remove":
        feed = kb.feeds.remove(args.feed)
        shown = feed.as_dict()
        lines = [f"stopped following {feed.url}; its articles stay (`rag delete` removes one)"]
    elif args.action == "list":
        feeds = kb.feeds.all()
        shown = [feed.as_dict() for feed in feeds]
        lines = [] if feeds else ["no feeds; add one with `rag feeds add URL`"]
        for feed in feeds:
            state = feed.as_dict()
            lines.append(f"#{feed.id} {feed.url}  every {_every(feed.every_s)}  "
                         f"last poll {state['last_poll'] or 'never'}  "
                         f"added {feed.added}, updated {feed.updated}"
                         + (f"\n    last error: {feed.last_error}" if feed.last_error else ""))
    else:
        results = kb.poll_feeds(due_only=args.due,
                                progress=not args.json and sys.stderr.isatty())
        shown = [result.as_dict() for result in results]
        lines = [] if results else ["no feeds to poll"]
        for result in results:
            line = f"{result.feed}: {result.status}"
            if result.status == "polled":
                line += (f", {result.entries} entries: added {result.added}, updated "
                         f"{result.updated}, unchanged {result.unchanged}, syndicated copies "
                         f"{result.duplicates}, failed {len(result.failed)}")
            lines.append(line + (f" ({result.error})" if result.error else ""))
            lines += [f"  failed: {f['path']}: {f['error']}" for f in result.failed]
        failed = any(r.status == "failed" or r.failed for r in results)
        print(json.dumps(shown, indent=2) if args.json else "\n".join(lines))
        return EXIT_FAILED if failed else EXIT_OK
    print(json.dumps(shown, indent=2) if args.json else "\n".join(lines))
    return EXIT_OK


def _every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def cmd_reindex(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    def progress(done: int, total: int) -> None:
        print(f"\rre-embedded {done}/{total} chunks", end="", file=sys.stderr)

    count = kb.reindex(progress if sys.stderr.isatty() else None)
    print(f"\nreindexed {count} chunks with {kb.embedder.model_id}")
    return EXIT_OK


def cmd_serve(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    import uvicorn

    from api import create_app

    if args.workers > 1 and not kb.settings.chroma.url:
        raise ConfigError("--workers above 1 needs a Chroma server (RAG_CHROMA_URL): the "
                          "embedded store belongs to one process")

    if args.ingest:
        report = kb.ingest([Path(p) for p in args.ingest])
        print(f"ingested: added {report.added}, updated {report.updated}, unchanged "
              f"{report.unchanged}, failed {len(report.failed)}", file=sys.stderr)
    print(f"serving on http://{args.host}:{args.port} (web page at /, API docs at /docs)",
          file=sys.stderr)
    log_level = "info" if args.verbose else "warning"
    if args.workers > 1:
        # Each worker loads its own models and opens the shared store and lexical index.
        uvicorn.run("api.app:app_from_environment", factory=True, workers=args.workers,
                    host=args.host, port=args.port, log_level=log_level)
    else:
        uvicorn.run(create_app(kb.settings, kb), host=args.host, port=args.port,
                    log_level=log_level)
    return EXIT_OK


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from eval import report as reports
    from eval.cases import load_dataset, of_types, split
    from eval.runner import run_eval
    from eval.summaries import is_summary_dataset
    from rag.llm import make_llm

    if is_summary_dataset(args.dataset):
        return _eval_summaries(settings, args)
    dataset = load_dataset(args.dataset)
    if args.split:
        dataset = split(dataset, args.split)
    if args.type:
        dataset = of_types(dataset, [kind for kinds in args.type for kind in kinds.split(",")])
    corpus = Path(args.corpus) if args.corpus else None
    configurations = [(args.llm, args.embeddings)]
    if args.matrix:
        configurations = [(llm, emb) for llm in settings.eval.llms
                          for emb in settings.eval.embeddings]
    show_progress = not args.json and sys.stderr.isatty()
    results = []
    for llm, embeddings in configurations:
        configured = settings.model_copy(update={
            "llm": settings.llm.model_copy(update={"backend": llm or settings.llm.backend}),
            "embeddings": settings.embeddings.model_copy(
                update={"backend": embeddings or settings.embeddings.backend})})
        out = args.out if not args.matrix else args.out / f"{configured.llm.backend}-" \
            f"{configured.embeddings.backend.replace(':', '-').replace('/', '-')}"
        judge = make_llm(configured) if args.judge else None
        if args.judge and judge is None:
            raise ConfigError("--judge needs an LLM backend (not extractive)")
        report = run_eval(dataset, configured, out, corpus, args.limit, judge, show_progress,
                          as_of=not args.no_as_of)
        paths = reports.write(report, out)
        results.append(report)
        if not args.json:
            print(f"\n{report.dataset}: {report.backend['llm']} / "
                  f"{report.backend['embeddings']} ({report.metrics['cases']} cases, "
                  f"{report.metrics['passed']} passed)")
            print(reports.metrics_table(report))
            print()
            print(reports.type_table(report))
            print(f"\nwrote {paths['json']}, {paths['md']}, {paths['png']}")
    if args.json:
        body = [r.as_dict() for r in results]
        _print_json(body[0] if len(body) == 1 else body)
    elif args.matrix:
        print("\n" + reports.matrix_table(results))
    return EXIT_OK


def _eval_summaries(settings: Settings, args: argparse.Namespace) -> int:
    from eval.summaries import format_table, run_summary_eval

    configured = settings.model_copy(update={
        "llm": settings.llm.model_copy(update={"backend": args.llm or settings.llm.backend}),
        "embeddings": settings.embeddings.model_copy(
            update={"backend": args.embeddings or settings.embeddings.backend})})

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    result = run_summary_eval(Path(args.dataset), configured, args.out, args.limit, args.split,
                              None if args.json else progress)
    if args.json:
        _print_json(result)
    else:
        print(f"\n{result['dataset']}: {result['clusters']} clusters "
              f"({result['backend']['llm']} / {result['backend']['embeddings']})")
        print(format_table(result))
        print(f"\nwrote {args.out / 'summaries.json'}")
    return EXIT_OK


def cmd_settings(settings: Settings, args: argparse.Namespace) -> int:
    values = settings.model_dump(mode="json")
    rows = []
    for path, env, info in env_fields():
        value: Any = values
        for part in path:
            value = value[part]
        if "key" in path[-1] and value:
            value = "***"
        rows.append({"env": env, "setting": ".".join(path), "value": value,
                     "description": info.description})
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(f"{row['env']:<30} {row['value']!s:<40} {row['description']}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description=(
        "Question answering and summaries over a folder of news articles, with citations."))
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="add or update article files, folders or "
                                 "web pages")
    ingest.add_argument("paths", nargs="+", metavar="PATH", help=".txt, .md or .html files, "
                        "folders of them, or http(s) addresses of news pages (fetched, and "
                        "kept as text snapshots under RAG_DATA_DIR/web)")
    ingest.add_argument("--prune", action="store_true",
                        help="also remove sources whose files are gone")
    ingest.add_argument("--json", action="store_true", help="print a JSON summary")
    ingest.set_defaults(handler=cmd_ingest)

    search = commands.add_parser("search", help="ranked passages for a query")
    search.add_argument("query")
    search.add_argument("--k", type=_positive, default=5, help="how many results (default 5)")
    search.add_argument("--json", action="store_true")
    search.add_argument("--local", action="store_true",
                        help="work in this process even if a rag server is running")
    search.set_defaults(handler=cmd_search, service=True)

    ask = commands.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("--k", type=_positive, default=None, help="passages to retrieve (default 8)")
    ask.add_argument("--as-of", type=_iso_date, default=None, metavar="YYYY-MM-DD",
                     help="answer only from articles published on or before this date")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--local", action="store_true",
                        help="work in this process even if a rag server is running")
    ask.set_defaults(handler=cmd_ask, service=True)

    summarize = commands.add_parser(
        "summarize", help="summarize articles (one story across several), or a topic as a "
                          "timeline")
    summarize.add_argument("sources", nargs="*", metavar="SOURCE",
                           help="source names from `rag documents`")
    summarize.add_argument("--topic", help="summarize this topic across articles instead")
    summarize.add_argument("--form", choices=["auto", "paragraph", "bullets", "timeline"],
                           help="default RAG_SUMMARY_FORM (auto: a timeline for a topic and "
                                "for articles of different days)")
    summarize.add_argument("--sentences", type=_positive,
                           help="at most this many sentences (default RAG_SUMMARY_SENTENCES)")
    summarize.add_argument("--words", type=_positive,
                           help="at most this many words (default RAG_SUMMARY_WORDS); alone, "
                                "as many sentences as it takes to fill it")
    summarize.add_argument("--as-of", type=_iso_date, default=None, metavar="YYYY-MM-DD")
    summarize.add_argument("--json", action="store_true")
    summarize.add_argument("--local", action="store_true",
                        help="work in this process even if a rag server is running")
    summarize.set_defaults(handler=cmd_summarize, service=True)

    documents = commands.add_parser("documents", help="list ingested sources")
    documents.add_argument("--json", action="store_true")
    documents.set_defaults(handler=cmd_documents)

    delete = commands.add_parser("delete", help="remove one source and its chunks")
    delete.add_argument("source", help="the source name shown by `rag documents`")
    delete.add_argument("--json", action="store_true")
    delete.set_defaults(handler=cmd_delete)

    feeds = commands.add_parser("feeds", help="follow RSS and Atom feeds")
    actions = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="follow a feed (`rag serve` polls it when due)")
    add.add_argument("url", help="the feed's http(s) address")
    add.add_argument("--every", help="how often to poll, e.g. 15m, 2h, 1d (default "
                                     "RAG_FEED_EVERY)")
    remove = actions.add_parser("remove", help="stop following a feed (its articles stay)")
    remove.add_argument("feed", help="the feed's number or address (see `rag feeds list`)")
    actions.add_parser("list", help="the feeds followed, their last poll and last error")
    poll = actions.add_parser("poll", help="poll feeds now and ingest new and changed entries")
    poll.add_argument("--due", action="store_true", help="only the feeds that are due")
    for action in (add, remove, poll, actions.choices["list"]):
        action.add_argument("--json", action="store_true")
    feeds.set_defaults(handler=cmd_feeds)

    reindex = commands.add_parser("reindex",
                                  help="re-embed everything with the configured embedder")
    reindex.set_defaults(handler=cmd_reindex)

    serve = commands.add_parser("serve", help="run the HTTP API and web page")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_positive, default=8000)
    serve.add_argument("--ingest", nargs="+", metavar="PATH",
                       help="ingest these files or folders before serving")
    serve.add_argument("--workers", type=_positive, default=1,
                       help="server processes (above 1 needs RAG_CHROMA_URL; each loads "
                            "its own models)")
    serve.set_defaults(handler=cmd_serve)

    evaluate = commands.add_parser("eval", help="score answers on a dataset of curated cases")
    evaluate.add_argument("--dataset", default="seeds",
                          help="a bundled dataset name (seeds), a YAML file, or a "
                               "MultiHop-RAG questions.jsonl (default seeds)")
    evaluate.add_argument("--corpus", help="the articles (default: the dataset's own corpus)")
    evaluate.add_argument("--llm", choices=["llama-cpp", "openai", "extractive"],
                          help="LLM backend for this run (default RAG_LLM)")
    evaluate.add_argument("--embeddings", help="embedding backend (default RAG_EMBEDDINGS)")
    evaluate.add_argument("--out", type=Path, default=Path("eval/out/latest"),
                          help="folder for the store and the reports (default eval/out/latest)")
    evaluate.add_argument("--limit", type=_positive, help="run only the first N cases")
    evaluate.add_argument("--split", choices=["dev", "test"],
                          help="only one half of the cases, split by a hash of their ids: "
                          "develop on dev, report test")
    evaluate.add_argument("--type", action="append", metavar="TYPE",
                          help="only cases of this type (factual, conflict, ambiguous, ...; "
                          "repeat or separate by commas)")
    evaluate.add_argument("--matrix", action="store_true",
                          help="run every RAG_EVAL_LLMS x RAG_EVAL_EMBEDDINGS combination")
    evaluate.add_argument("--judge", action="store_true",
                          help="also grade answers with the configured LLM (reported apart)")
    evaluate.add_argument("--no-as-of", action="store_true",
                          help="ask dated cases without their date (to compare with as-of)")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(handler=cmd_eval, needs_settings_only=True)

    show = commands.add_parser("settings", help="show effective settings and their variables")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_settings, needs_settings_only=True)
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _iso_date(value: str) -> date:
    try:
        return parse_iso_date(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in YYYY-MM-DD form") from None


def _service(settings: Settings, args: argparse.Namespace) -> Service:
    """A running server for this store if there is one (unless --local), else this process."""
    client = None if args.local else reachable_server(settings)
    if client is not None:
        _say(args, f"using the rag server at {client.url}")
        return client
    _say(args, "working in this process" + (" (--local)" if args.local else
                                           " (no rag server for this store is running)"))
    from rag.knowledge_base import KnowledgeBase

    return InProcess(KnowledgeBase(settings))


def _say(args: argparse.Namespace, message: str) -> None:
    if args.verbose:
        print(message, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    handler: Callable[..., int] = args.handler
    try:
        settings = load_settings()
        if getattr(args, "needs_settings_only", False):
            return handler(settings, args)
        if getattr(args, "service", False):
            return handler(_service(settings, args), args)
        from rag.knowledge_base import KnowledgeBase

        return handler(KnowledgeBase(settings), args)
    except (ConfigError, SourceNotFoundError, ArticleError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted; run the same command again to finish", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
