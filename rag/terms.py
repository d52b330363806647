"""Words as search terms: lower-cased, stop words dropped, lightly stemmed.

Shared by BM25 retrieval, sentence selection and citation checking, so that
"resumed" in a question matches "resume" in a passage everywhere alike.
"""

from __future__ import annotations

import re

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
said says say according also one two would could may might many much new like get got
""".split())
NEGATIONS = frozenset(
    "not no never denied deny denies denying rejected reject rejects dismissed refused "
    "false untrue nor neither haven't hasn't didn't don't doesn't isn't wasn't weren't "
    "aren't won't cannot can't".split())
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def stem(word: str) -> str:
    """A light suffix stripper: enough to match resumed/resumes/resuming to one stem."""
    for suffix, keep in (("ies", 3), ("ing", 4), ("ed", 4), ("es", 4), ("s", 3)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep - 1:
            word = word[: -len(suffix)]
            break
    return word.rstrip("e") if len(word) > 4 else word


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def terms(text: str) -> list[str]:
    """Content terms of `text`, stemmed, in order, with repeats."""
    return [stem(w.split("'")[0]) for w in words(text) if w not in STOP_WORDS and len(w) > 1]


def has_negation(text: str) -> bool:
    return any(word in NEGATIONS for word in words(text))
