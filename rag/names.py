"""Names as news text writes them: runs of capitalized words ("Sam Bankman-Fried",
"Alameda Research", "The Federal Reserve")."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from rag.terms import STOP_WORDS

# A name: capitalized words in a row ("John J. Ray III", "Sam Bankman-Fried", "FTX").
NAME_RUN = re.compile(r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*")
# Where a sentence ends: after a word, not after an initial ("John J. Ray III").
_SENTENCE_END = re.compile(r"(?<=[a-z]{2}[.!?])\s+")
MAX_NAME_WORDS = 5
# Words news puts before a name that are not part of it: "CEO Caroline Ellison",
# "Former President Jimmy Carter", "Judge Lewis Kaplan".
TITLES = frozenset("""ceo cfo coo cto chief executive chairman chairwoman chair president
vice director minister prime secretary senator sen rep gov governor judge justice dr mr mrs
ms former coach manager spokesman spokeswoman general gen col lt sgt captain capt king queen
prince princess pope officer founder co-founder head star striker quarterback""".split())


def runs(text: str) -> list[tuple[str, ...]]:
    """The capitalized runs of `text` as word tuples, without a leading function word
    ("The", "But") a sentence start capitalizes."""
    found = []
    for m in (m for sentence in _SENTENCE_END.split(text) for m in NAME_RUN.finditer(sentence)):
        tokens = [t.rstrip(",'’") for t in m.group().split()]
        tokens[-1] = tokens[-1].rstrip(".")  # the sentence's full stop, not an initial's
        while tokens and tokens[0].lower() in STOP_WORDS:
            tokens = tokens[1:]
        if tokens:
            found.append(tuple(tokens))
    return found


_INITIALS = re.compile(r"[A-Z]{2,5}")


def initials(run: tuple[str, ...]) -> str:
    """The letters a name is abbreviated to: ("Sam", "Bankman-Fried") -> "SBF"."""
    return "".join(part[0] for word in run for part in word.split("-") if part[:1].isupper())


def spelled_out(answer: str, texts: Iterable[str]) -> str:
    """An answer written as initials ("SBF") as the articles spell it out ("Sam
    Bankman-Fried"): the name with those initials most of the `texts` that give one
    write; otherwise the answer as it is."""
    if not _INITIALS.fullmatch(answer):
        return answer
    found: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        named = {run for run in runs(text) if len(run) > 1 and initials(run) == answer}
        found.update(named)
    if not found:
        return answer
    name, count = found.most_common(1)[0]
    return " ".join(name) if 2 * count > sum(found.values()) else answer


def _untitled(run: tuple[str, ...]) -> tuple[str, ...]:
    """The name after the titles in a run: ("Alameda", "CEO", "Caroline", "Ellison") ->
    ("Caroline", "Ellison")."""
    titled = [i for i, word in enumerate(run[:-1]) if word.lower() in TITLES]
    return run[titled[-1] + 1:] if titled else run


def full_name(answer: str, texts: Iterable[str]) -> str:
    """`answer` as the articles first name it: news names a person or a firm in full on
    first mention and shortens it after ("Alameda Research", then "Alameda"). The longer
    name is taken when it is the first mention in most of the `texts` that mention the
    answer; "Ireland" stays "Ireland" in an article that names it so before "Northern
    Ireland". Initials ("SBF") are spelled out as the articles spell them."""
    texts = list(texts)
    if (spelled := spelled_out(answer, texts)) != answer:
        return spelled
    short = tuple(answer.split())
    if not short or len(short) >= MAX_NAME_WORDS or not all(w[:1].isupper() for w in short):
        return answer
    first: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        mention = next((run for run in map(_untitled, runs(text)) if any(
            run[i : i + len(short)] == short for i in range(len(run) - len(short) + 1))), None)
        if mention is not None:
            first[mention] += 1
    if not first:
        return answer
    name, count = first.most_common(1)[0]
    if len(name) <= len(short) or len(name) > MAX_NAME_WORDS or 2 * count <= sum(first.values()):
        return answer
    return " ".join(name)
