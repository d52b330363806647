"""A small news site on 127.0.0.1 for the fetch and feed tests and the URL ingest benchmark:
article pages laid out like real ones (navigation, byline, related links, footer), RSS and
Atom feeds, and the ways a site goes wrong (404, a slow answer, a binary body, a redirect
loop, a huge page).

Pages are built from article files (the seeds, the MultiHop corpus) and a few short
stories written here; a test changes them between polls through `page` and `publish`.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rag.articles import read_article

STORIES = {
    "harbour-spill": ("Oil spill closes the harbour", "2021-05-02", "Port Wire",
                      ["Oil from the tanker Kestrel spread across the harbour on Sunday, the "
                       "port authority said.", "Ferries were halted until further notice and "
                       "fishing boats were told to stay in port."]),
    "orchard-frost": ("Late frost hits apple orchards", "2021-04-20", "Farm Daily",
                      ["A late frost damaged apple blossom across the valley overnight, "
                       "growers said on Tuesday.", "The cooperative expects a smaller harvest "
                       "and higher prices in the autumn."]),
}


def story(path: Path) -> tuple[str, str, str, list[str]]:
    """Title, date, outlet and paragraphs of an article file, as its page would show them."""
    article = read_article(path)
    day = article.published.isoformat() if article.published else "2020-01-01"
    paragraphs = [p.strip() for p in article.body_text.split("\n") if p.strip()]
    return article.title, day, article.outlet or "World Desk", paragraphs


def article_page(title: str, day: str, outlet: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | {outlet}</title>
<meta property="og:site_name" content="{outlet}">
<meta property="article:published_time" content="{day}T09:30:00Z"></head>
<body><header><a href="/">{outlet}</a><nav><a href="/world">World</a> <a href="/business">
Business</a> <a href="/subscribe">Subscribe</a></nav></header>
<main><article><h1>{html.escape(title)}</h1>
<p class="byline">By staff reporters, <time datetime="{day}">{day}</time></p>
{body}
</article>
<aside><h2>Most read</h2><ul><li><a href="/a">Ten ways to save on heating</a></li>
<li><a href="/b">Sign up for our morning newsletter</a></li></ul></aside></main>
<footer><p>Copyright 2021 {outlet}. All rights reserved.</p><a href="/privacy">Privacy</a>
</footer></body></html>"""


@dataclass
class Reply:
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class NewsSite:
    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        self.seen: list[Seen] = []
        self.url = ""
        self._lock = threading.Lock()

    def page(self, path: str, title: str, day: str, outlet: str, paragraphs: list[str]) -> str:
        self.replies[path] = Reply(body=article_page(title, day, outlet, paragraphs).encode())
        return self.url + path

    def publish(self, path: str, entries: list[tuple[str, str, str]], atom: bool = False) -> str:
        """A feed at `path` of (title, page path, updated YYYY-MM-DD) entries, with an ETag
        that changes whenever the feed's text does."""
        body = (_atom if atom else _rss)(self.url, entries).encode()
        kind = "application/atom+xml" if atom else "application/rss+xml"
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        self.replies[path] = Reply(content_type=kind, body=body, headers={"ETag": etag})
        return self.url + path

    def requests_for(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.path == path]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                with site._lock:
                    site.seen.append(Seen(self.path, {k.lower(): v for k, v in
                                                      self.headers.items()}))
                reply = site.replies.get(self.path, Reply(404, "text/plain", b"not found"))
                time.sleep(reply.delay_s)
                etag = reply.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(reply.body)

            def log_message(self, *_: object) -> None:
                pass

        return Handler


def _stamp(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)


def _rss(base: str, entries: list[tuple[str, str, str]]) -> str:
    items = "".join(
        f"<item><title>{html.escape(title)}</title><link>{base}{path}</link>"
        f"<guid>{base}{path}</guid><pubDate>{format_datetime(_stamp(day))}</pubDate></item>"
        for title, path, day in entries)
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Test wire</title><link>{base}/</link><description>news</description>"
            f"{items}</channel></rss>")


def _atom(base: str, entries: list[tuple[str, str, str]]) -> str:
    items = "".join(
        f'<entry><title>{html.escape(title)}</title><link href="{base}{path}"/>'
        f"<id>{base}{path}</id><updated>{_stamp(day).isoformat()}</updated></entry>"
        for title, path, day in entries)
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Test atom</title><id>{base}/atom</id>"
            f"<updated>2021-05-02T09:00:00+00:00</updated>{items}</feed>")


@contextmanager
def news_site(articles: list[Path] = ()) -> Iterator[NewsSite]:  # type: ignore[assignment]
    """The site, serving each article file at `/world/<stem>.html` and the stories written
    here at `/news/<slug>.html`, until the block ends."""
    site = NewsSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), site._handler())
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    for path in articles:
        site.page(f"/world/{path.stem}.html", *story(path))
    for slug, written in STORIES.items():
        site.page(f"/news/{slug}.html", *written)
    site.replies["/slow.html"] = Reply(body=b"<p>late</p>", delay_s=3.0)
    site.replies["/photo.jpg"] = Reply(content_type="image/jpeg", body=b"\xff\xd8\xff" * 100)
    site.replies["/loop"] = Reply(302, "text/plain", headers={"Location": "/loop"})
    site.replies["/huge.html"] = Reply(body=b"<p>" + b"word " * 400_000 + b"</p>")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
