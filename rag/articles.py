"""Read one news article file: title, date, outlet, and the spans that are its text.

The article's body is kept as character spans into the document text, so a
chunk, a quote or a citation can always be checked against the file itself:
`article.text[start:end]` is exactly what was stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from rag.dates import find_date
from rag.errors import ArticleError
from rag.furniture import Line, classify_line, is_prose, split_lines, tail_furniture
from rag.html_text import html_to_text

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
# Bump when parsing changes what is kept, so unchanged files are re-chunked once.
PARSER_VERSION = 1

_HEADER_FIELD = re.compile(
    r"^(?P<key>title|headline|date|published|published_at|source|outlet|publisher|author|"
    r"byline|url|link)\s*:\s*(?P<value>.*)$",
    re.I,
)
_BANNER = re.compile(
    r"^(?P<site>[A-Za-z0-9][\w-]*(?:\.[\w-]+)*\.(?:com|net|org|info|news|co\.uk|co|io|tv))"
    r"\s+[-–—|]\s+\S.*$"
)
_AGENCY = re.compile(r"\((?P<agency>AFP|AP|Reuters|UPI|AAP|dpa|Xinhua|IANS|PTI|ANI)\)")
_META_BULLET = re.compile(r"^[•·*-]\s*(?P<value>.+)$")
_TIME_ONLY = re.compile(r"^\d{1,2}:\d{2}(\s*[ap]\.?m\.?)?$", re.I)
_MD_HEADING = re.compile(r"^#{1,2}\s+(?P<title>.+?)\s*#*$")
HEADER_SCAN_LINES = 8


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Dropped:
    """A piece of page furniture that was left out, with where it stood."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Article:
    text: str
    title: str
    published: date | None
    outlet: str | None
    body: tuple[Span, ...]
    dropped: tuple[Dropped, ...]
    url: str | None = None  # where the article was fetched from (a `URL:` header)

    @property
    def body_text(self) -> str:
        return "\n\n".join(self.text[span.start : span.end] for span in self.body)


def read_article(path: Path, max_bytes: int | None = None) -> Article:
    """Read and parse an article file; raise ArticleError with a reason a person can act on."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ArticleError(
            f"unsupported file type {suffix or '(none)'!r}; supported: "
            + ", ".join(sorted(SUPPORTED_SUFFIXES))
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ArticleError("file not found") from None
    except OSError as exc:
        raise ArticleError(f"cannot read file: {exc.strerror or exc}") from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise ArticleError(f"file is {len(raw):,} bytes, over the {max_bytes:,}-byte limit "
                           "(RAG_MAX_FILE_BYTES)")
    return parse_article_bytes(raw, suffix, fallback_title=path.stem)


def parse_article_bytes(raw: bytes, suffix: str, fallback_title: str) -> Article:
    if not raw.strip():
        raise ArticleError("file is empty")
    if b"\x00" in raw[:8192]:
        raise ArticleError("file is binary, not text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"file is not valid UTF-8 (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); "
            "re-save it as UTF-8"
        ) from None
    if suffix in {".html", ".htm"}:
        page = html_to_text(text)
        hints = {"title": page.title, "date": page.published, "outlet": page.outlet}
        return parse_article_text(page.text, fallback_title, hints)
    return parse_article_text(text, fallback_title)


def parse_article_text(
    text: str, fallback_title: str, hints: dict[str, str | None] | None = None
) -> Article:
    """Split a document's text into metadata, article spans and dropped furniture."""
    lines = split_lines(text)
    meta: dict[str, str] = {k: v for k, v in (hints or {}).items() if v}
    consumed: set[int] = set()
    dropped: dict[int, str] = {}

    index = _read_header_fields(lines, meta, consumed)
    fields = set(consumed)
    _scan_header(lines, index, meta, consumed, dropped)
    for position, line in enumerate(lines):
        if position not in consumed and position not in dropped and (kind := classify_line(
                line.text)):
            dropped[position] = kind
    furniture = {i: kind for i, kind in dropped.items() if classify_line(lines[i].text)}
    live = [line if i not in consumed else Line(line.start, line.start, "")
            for i, line in enumerate(lines)]
    for position, kind in tail_furniture(live).items():
        if position not in consumed:
            dropped.setdefault(position, kind)

    body = _kept_spans(text, lines, consumed | set(dropped))
    if not body:
        # A text of a line or two (a search snippet, a one-sentence report) can read as
        # a headline, or as a page's last lines: keep it rather than lose it.
        body, dropped = _kept_spans(text, lines, fields | set(furniture)), furniture
    if not body:
        raise ArticleError("no article text left after removing headers and page furniture")
    published = find_date(meta["date"]) if "date" in meta else None
    title = meta.get("title") or fallback_title
    return Article(
        text=text,
        title=re.sub(r"\s+", " ", title).strip(),
        published=published,
        outlet=_outlet(meta),
        body=tuple(body),
        dropped=tuple(
            Dropped(kind, lines[i].start, lines[i].end, lines[i].stripped)
            for i, kind in sorted(dropped.items())
        ),
        url=meta["url"] if re.match(r"https?://\S+$", meta.get("url", "")) else None,
    )


def _read_header_fields(lines: list[Line], meta: dict[str, str], consumed: set[int]) -> int:
    """Consume a `Title:/Date:/Source:` header (optionally between `---` fences)."""
    index = 0
    while index < len(lines) and lines[index].blank:
        index += 1
    fenced = index < len(lines) and lines[index].stripped == "---"
    start = index + 1 if fenced else index
    position = start
    fields: dict[str, str] = {}
    while position < len(lines) and (match := _HEADER_FIELD.match(lines[position].stripped)):
        value = match["value"].strip()
        fields[match["key"].lower()] = _unquote(value) if fenced else value
        position += 1
    closed = fenced and position < len(lines) and lines[position].stripped == "---"
    if not fields or (fenced and not closed):
        return index
    end = position + 1 if closed else position
    consumed.update(range(index, end))
    for key, target in (("title", "title"), ("headline", "title"), ("date", "date"),
                        ("published", "date"), ("published_at", "date"), ("source", "outlet"),
                        ("outlet", "outlet"), ("publisher", "outlet"), ("url", "url"),
                        ("link", "url")):
        if fields.get(key):
            meta.setdefault(target, fields[key])
    return end


def _scan_header(
    lines: list[Line], index: int, meta: dict[str, str], consumed: set[int],
    dropped: dict[int, str],
) -> None:
    """Read title, outlet banner and date lines above the first line of prose."""
    seen = 0
    while index < len(lines) and seen < HEADER_SCAN_LINES:
        line = lines[index]
        stripped = line.stripped
        if line.blank:
            index += 1
            continue
        seen += 1
        if is_prose(stripped):
            return
        if kind := classify_line(stripped):
            dropped[index] = kind
        elif banner := _BANNER.match(stripped):
            meta.setdefault("site", banner["site"])
            consumed.add(index)
        elif (bullet := _META_BULLET.match(stripped)) and (
            find_date(bullet["value"]) or _TIME_ONLY.match(bullet["value"].strip())
        ):
            if found := find_date(bullet["value"]):
                meta.setdefault("date", found.isoformat())
            consumed.add(index)
        elif (heading := _MD_HEADING.match(stripped)) and "title" not in meta:
            meta["title"] = heading["title"]
            consumed.add(index)
        elif found := find_date(stripped):
            # A dateline ("Baghdad, Jan 16 (AFP) Jan 16, 2020") is kept as article text.
            meta.setdefault("date", found.isoformat())
            if agency := _AGENCY.search(stripped):
                meta.setdefault("agency", agency["agency"])
        elif "title" not in meta:
            meta["title"] = stripped
            consumed.add(index)
        elif _same_words(stripped, meta["title"]):
            consumed.add(index)
        index += 1


def _unquote(value: str) -> str:
    """Strip one pair of quotes that wraps the whole value (YAML-style front matter)."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _same_words(a: str, b: str) -> bool:
    def words(s: str) -> list[str]:
        return re.findall(r"\w+", s.lower())

    return words(a) == words(b)


def _outlet(meta: dict[str, str]) -> str | None:
    outlet = _site(meta.get("outlet") or meta.get("site"))
    agency = meta.get("agency")
    if outlet and agency and agency not in outlet:
        return f"{outlet} ({agency})"
    return outlet or agency


def _site(outlet: str | None) -> str | None:
    """A `Source:` given as the article's address names the site it is on."""
    if outlet and re.match(r"https?://", outlet):
        host = urlsplit(outlet).hostname or outlet
        return host.removeprefix("www.")
    return outlet


def _kept_spans(text: str, lines: list[Line], removed: set[int]) -> list[Span]:
    """Maximal runs of kept lines, trimmed of surrounding white space."""
    spans: list[Span] = []
    run_start: int | None = None
    run_end = 0
    for position, line in enumerate(lines):
        if position in removed:
            if run_start is not None:
                spans.append(Span(run_start, run_end))
                run_start = None
            continue
        if line.blank:
            continue
        if run_start is None:
            run_start = line.start + (len(line.text) - len(line.text.lstrip()))
        run_end = line.start + len(line.text.rstrip())
    if run_start is not None:
        spans.append(Span(run_start, run_end))
    return [span for span in spans if text[span.start : span.end].strip()]
