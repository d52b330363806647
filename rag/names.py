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
# A longer name stands for the answer when it holds more than this share of the answer's
# mentions: "Alameda" is "Alameda Research" where the articles write it so, but "Ireland"
# stays "Ireland" beside one "Northern Ireland".
FULL_NAME_SHARE = 0.5
MAX_NAME_WORDS = 5


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


def full_name(answer: str, texts: Iterable[str]) -> str:
    """`answer` as the longer name the texts mostly write it in ("Alameda" -> "Alameda
    Research"), or `answer` itself when they mostly write it alone or not at all."""
    short = tuple(answer.split())
    if not short or len(short) >= MAX_NAME_WORDS or not all(w[:1].isupper() for w in short):
        return answer
    mentions: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        for run in runs(text):
            if any(run[i : i + len(short)] == short for i in range(len(run) - len(short) + 1)):
                mentions[run] += 1
    if not mentions:
        return answer
    longest, count = max(((run, n) for run, n in mentions.items()
                          if len(short) < len(run) <= MAX_NAME_WORDS),
                         key=lambda item: (item[1], len(item[0])), default=((), 0))
    if count / sum(mentions.values()) <= FULL_NAME_SHARE:
        return answer
    return " ".join(longest)
