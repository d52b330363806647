"""A fetched news page as a stored snapshot: the article text with its title, date, outlet
and address in a header the article parser reads.

trafilatura finds the article among the page's navigation, related links and
footers, and its metadata (htmldate for the publication date). Where it finds
nothing, the hand-written HTML reader (`rag.html_text`) fills the gap. The
snapshot, not the page, is what is chunked: offsets and quotes refer to it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from rag.dates import find_date
from rag.errors import FetchError
from rag.html_text import html_to_text

MAX_NAME_CHARS = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Snapshot:
    url: str
    title: str
    published: str | None  # YYYY-MM-DD
    outlet: str | None
    author: str | None
    text: str  # paragraphs separated by blank lines

    def as_file(self) -> str:
        header = [("Title", self.title), ("Date", self.published), ("Source", self.outlet),
                  ("Author", self.author), ("URL", self.url)]
        lines = [f"{key}: {_one_line(value)}" for key, value in header if value]
        return "\n".join(lines) + "\n\n" + self.text.strip() + "\n"

    @property
    def content_sha256(self) -> str:
        """Changes when the article's text changes, not when the page around it does."""
        return hashlib.sha256(re.sub(r"\s+", " ", self.text).strip().encode()).hexdigest()


def source_name(url: str) -> str:
    """A stable, readable source name for an address: `host/path-words.txt`.

    The same address always maps to the same name, so fetching it again replaces
    its chunks; a query string or a cut-off path adds a short hash of the address.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "unknown").removeprefix("www.")
    path = re.sub(r"\.(s?html?|php|aspx?)$", "", parts.path.strip("/"), flags=re.I)
    slug = _UNSAFE.sub("-", path.replace("/", "_")).strip("-_.") or "index"
    if parts.query or len(slug) > MAX_NAME_CHARS:
        digest = hashlib.sha256(url.encode()).hexdigest()[:8]
        slug = f"{slug[:MAX_NAME_CHARS]}-{digest}"
    return f"{host}/{slug}.txt"


def snapshot(html: str, url: str) -> Snapshot:
    """The article on a page; FetchError when the page holds no article text."""
    import trafilatura  # imported on first use: it loads lxml and its language data

    found = trafilatura.bare_extraction(html, url=url, with_metadata=True,
                                        include_comments=False, include_tables=False,
                                        favor_precision=True,
                                        date_extraction_params={"original_date": True,
                                                                "extensive_search": True})
    fields = found.as_dict() if found is not None else {}
    page = html_to_text(html)
    text = _paragraphs(fields.get("text") or "") or _paragraphs(page.text)
    if not text:
        raise FetchError(f"{url}: no article text found on the page")
    published = fields.get("date") or (
        found_date.isoformat() if page.published and (found_date := find_date(page.published))
        else None)
    return Snapshot(url=url, title=fields.get("title") or page.title or source_name(url),
                    published=published,
                    outlet=fields.get("sitename") or page.outlet or fields.get("hostname")
                    or (urlsplit(url).hostname or "").removeprefix("www.") or None,
                    author=fields.get("author"), text=text)


def _paragraphs(text: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    return "\n\n".join(line for line in lines if line)


def _one_line(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()
