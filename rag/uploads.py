"""Articles sent over the API: safe file names, checked before anything is written."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path, PurePosixPath

from rag.articles import SUPPORTED_SUFFIXES, parse_article_bytes
from rag.errors import ArticleError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_CHARS = 120


def safe_filename(name: str) -> str:
    """A plain file name for a client-supplied one: no folders, no hidden files, ASCII only.

    `../../etc/passwd.txt` becomes `passwd.txt`; `Iraq news (1).txt` becomes
    `Iraq_news_1.txt`. Raises ArticleError when nothing usable is left or the
    type is not one we ingest.
    """
    base = PurePosixPath(name.replace("\\", "/")).name
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, dot, suffix = _UNSAFE.sub("_", ascii_name).rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    stem = stem.strip("._-")[: MAX_NAME_CHARS - len(suffix) - 1]
    suffix = f".{suffix.lower()}" if suffix else ""
    if not stem:
        raise ArticleError(f"file name {name!r} has no usable characters")
    if suffix not in SUPPORTED_SUFFIXES:
        raise ArticleError(f"{name!r}: unsupported file type {suffix or '(none)'!r}; "
                           "supported: " + ", ".join(sorted(SUPPORTED_SUFFIXES)))
    return stem + suffix


def check_article(name: str, raw: bytes, limit: int) -> None:
    """Raise ArticleError unless `raw` would ingest: within the size limit and parseable."""
    if len(raw) > limit:
        raise ArticleError(f"{name}: file is {len(raw):,} bytes, over the {limit:,}-byte limit "
                           "(RAG_MAX_FILE_BYTES)")
    parse_article_bytes(raw, Path(name).suffix, Path(name).stem)


def write_atomically(path: Path, raw: bytes) -> None:
    """Write `raw` to `path` so a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.write_bytes(raw)
    partial.replace(path)
