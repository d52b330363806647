"""Split an article's kept spans into sentence-aligned chunks with exact offsets.

Invariant: for every chunk, `article.text[chunk.start:chunk.end] == chunk.text`.
Chunks never cross a gap between kept spans, so dropped furniture can never
reappear inside a chunk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.articles import Article, Span

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "sen", "rep", "gov", "lt", "col", "sgt", "capt",
    "cmdr", "adm", "maj", "st", "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc", "no",
    "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m", "approx", "est", "dept", "univ", "mt",
}
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    text: str


def split_sentences(text: str, span: Span) -> list[Span]:
    """Sentence spans inside `span`, each trimmed of white space."""
    sentences: list[Span] = []
    cursor = span.start
    segment = text[span.start : span.end]
    for match in _BOUNDARY.finditer(segment):
        end = span.start + match.end()
        if match.group() != "\n" and _is_abbreviation(text[cursor : span.start + match.start()]):
            continue
        _append_trimmed(text, cursor, end, sentences)
        cursor = end
    _append_trimmed(text, cursor, span.end, sentences)
    return sentences


def _is_abbreviation(before: str) -> bool:
    match = _WORD_BEFORE.search(before)
    if not match:
        return False
    word = match.group(1).lower().rstrip(".")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _append_trimmed(text: str, start: int, end: int, out: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        out.append(Span(start, end))


def _split_long(text: str, sentence: Span, size: int) -> list[Span]:
    """Cut a sentence longer than `size` at white space into pieces of at most `size`."""
    pieces: list[Span] = []
    start = sentence.start
    while sentence.end - start > size:
        cut = text.rfind(" ", start + 1, start + size)
        cut = cut if cut > start else start + size
        _append_trimmed(text, start, cut, pieces)
        start = cut
    _append_trimmed(text, start, sentence.end, pieces)
    return pieces


def chunk_article(article: Article, size: int, overlap: int) -> list[Chunk]:
    """Pack whole sentences into chunks of about `size` characters.

    Consecutive chunks of one span share trailing sentences worth up to
    `overlap` characters, so a fact that straddles a boundary is whole in one.
    """
    text = article.text
    chunks: list[Chunk] = []
    for span in article.body:
        units = [piece for sentence in split_sentences(text, span)
                 for piece in _split_long(text, sentence, size)]
        first = 0
        while first < len(units):
            last = first
            while last + 1 < len(units) and units[last + 1].end - units[first].start <= size:
                last += 1
            start, end = units[first].start, units[last].end
            chunks.append(Chunk(len(chunks), start, end, text[start:end]))
            if last + 1 >= len(units):
                break
            following = last + 1
            while following - 1 > first and end - units[following - 1].start <= overlap:
                following -= 1
            first = following
    return chunks
