"""Turn an HTML news page into plain text plus the metadata its tags carry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "nav", "footer", "aside", "form", "button", "svg",
         "iframe", "template", "head"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5",
          "h6", "li", "ul", "ol", "blockquote", "pre", "table", "tr", "figure", "figcaption",
          "br", "hr", "dd", "dt"}
_META_DATE = {"article:published_time", "datepublished", "date", "pubdate", "dc.date",
              "og:published_time", "publish-date"}


@dataclass
class HtmlPage:
    text: str
    title: str | None = None
    published: str | None = None
    outlet: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.in_title = False
        self.in_h1 = False
        self.title = ""
        self.h1 = ""
        self.time_value: str | None = None
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key.lower(): value or "" for key, value in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or values.get("itemprop") or "")
            if key and values.get("content"):
                self.meta[key.lower()] = values["content"].strip()
            return
        if tag == "title":
            self.in_title = True
        if tag == "time" and self.time_value is None and values.get("datetime"):
            self.time_value = values["datetime"]
        if tag in _SKIP:
            self.skip_depth += 1
        if tag == "h1":
            self.in_h1 = True
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in _SKIP and self.skip_depth:
            self.skip_depth -= 1
        if tag == "h1":
            self.in_h1 = False
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
            return
        if self.skip_depth:
            return
        if self.in_h1:
            self.h1 += data
        self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> HtmlPage:
    """Extract readable text (blocks separated by blank lines) and title, date and outlet."""
    parser = _Extractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    meta = parser.meta
    published = next((meta[key] for key in _META_DATE if key in meta), None) or parser.time_value
    title = meta.get("og:title") or parser.h1.strip() or parser.title.strip() or None
    return HtmlPage(
        text=text,
        title=re.sub(r"\s+", " ", title).strip() if title else None,
        published=published,
        outlet=meta.get("og:site_name") or meta.get("application-name"),
        meta=meta,
    )
