"""Whether the articles retrieved for an open question speak of what it asks.

An open question ("how", "why", "in what ways") about details no article gives
("In what ways did her theatre roles reflect her versatility?", over an article
about her weight loss and a soap wedding) still gets an answer from a small
model: a phrase or sentence from the passages, which the verifier, reading it
beside them, lets through (the right answers to such questions get the same
p(yes)), and no value in it (a name, a number, a date) is there to check.
Whether the articles the passages come from hold the question's own words is a
test the model cannot talk its way past: when most of what the question asks
about occurs nowhere in them (its content terms, stemmed, against the
articles' text, titles and outlets), the question is refused before any draft.

Only open questions: a question asking for a value often describes its answer
in other words than the article ("Which small intruder crawled through a fence
at the White House?" over "A toddler infiltrated White House grounds"), and
its answer is a value the verifier's checks can hold to the passages. A
rejection only: holding the question's words never makes an answer right. And
several of its words must be missing, not one or two that a reader could have
put in other words ("movie" for "film").
"""

from __future__ import annotations

import re

from rag.terms import terms

# Below this share of the question's terms held by the articles, the question is refused.
# Chosen on the development half of ELOQ (the share its unanswerable questions' own
# articles hold: 0.09-0.55 but one; the answerable ones': 0.50-0.90).
MIN_SHARE = 0.4
# And at least this many of its terms missing: one or two paraphrased words never decide.
MIN_MISSING = 4
# Words that ask about the articles or pad the question rather than name what it asks.
ASKING = frozenset(terms(
    "article articles report reports reported reporting coverage covered mention mentioned "
    "published publication story stories outlet news source sources way ways specific "
    "specifically particular particularly exactly"))


# "How did ...?", "Why ...?", "In what ways ...?", after a lead-in ("According to X, how
# ...?"); not "how many", "how long" and the like, which ask for a value.
_OPEN = re.compile(r"^(?:[^,?]{1,80},\s*)?(?:(?:in|by)\s+what\s+ways?\b|why\b|how\b"
                   r"(?!\s+(?:many|much|long|old|far|often|big|large|tall|high|soon)\b))", re.I)


def is_open(question: str) -> bool:
    """Whether `question` asks how, why or in what ways, rather than for a value."""
    return bool(_OPEN.match(question.strip()))


def asked_terms(question: str) -> set[str]:
    """What the question asks about, as terms: no numbers (a date or count in a question
    is a qualifier the verifier checks) and no `ASKING` words."""
    return {t for t in terms(question) if t not in ASKING and not t.isdigit()}


def missing_terms(question: str, held: set[str]) -> tuple[set[str], float]:
    """The question's terms that `held` (the articles' terms) lacks, and the share of its
    terms it holds (1.0 for a question of no terms)."""
    asked = asked_terms(question)
    missing = asked - held
    return missing, 1 - len(missing) / len(asked) if asked else 1.0


def speaks_of(question: str, held: set[str]) -> bool:
    """Whether articles holding the terms `held` speak of what `question` asks."""
    missing, share = missing_terms(question, held)
    return share >= MIN_SHARE or len(missing) < MIN_MISSING
