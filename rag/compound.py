"""Compound yes/no questions, asked one clause at a time.

"Does the Polygon article suggest X, while the Essentially Sports article
indicates Y?" asks two things of two articles, and is "yes" only when both
hold. Checked as one claim against passages of one article, it can never be
stated, and a small model's verdict on the whole lands near 0.5 whatever the
truth. So such a question is cut into its clauses, each a question of its own
("Is it true that the Essentially Sports article indicates Y?"), each retrieved
and answered on the passages of the article that best matches it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.drafting import is_yes_no
from rag.errors import MalformedReplyError
from rag.llm import LLM
from rag.prompting import render
from rag.retrieval import mentioned_outlets
from rag.verify import Evidence

_AUX = r"(?:is|are|was|were|do|does|did|has|have|had)"
# Where a second question starts: "..., while the Verge article reports ...",
# "..., and did the same source also report ...".
_JOINS = re.compile(rf",?\s+(?:while|whereas)\s+|,\s+and\s+(?={_AUX}\b)", re.I)
# A closing comment that asks nothing of the articles: "..., indicating different
# aspects of the conflict?".
_COMMENT = re.compile(r",\s+(?:indicating|suggesting|showing|implying)\b[^,]*$", re.I)
_SAME_SOURCE = re.compile(r"\bthe same (?:news )?(?:source|outlet|publication)\b", re.I)
_STARTS_WITH_AUX = re.compile(rf"{_AUX}\b", re.I)


def clauses(question: str, outlets: Sequence[str] = ()) -> list[str]:
    """The questions a compound yes/no question is made of, or `[question]` when it asks
    one thing. "The same source" in a later clause becomes the outlet the first one names
    (one of `outlets`), so that clause is retrieved from that outlet's reports."""
    text = question.strip()
    if not is_yes_no(text):
        return [text]
    body = _COMMENT.sub("", text.rstrip("?").rstrip())
    parts = [p.strip() for p in _JOINS.split(body) if p.strip()]
    if len(parts) < 2:
        return [text]
    named = mentioned_outlets(parts[0], outlets)
    asked: list[str] = []
    for i, part in enumerate(parts):
        if named and i > 0:
            part = _SAME_SOURCE.sub(named[0], part)
        if i == 0 or _STARTS_WITH_AUX.match(part):
            asked.append(f"{part[0].upper()}{part[1:]}?")
        else:
            asked.append(f"Is it true that {part}?")
    return asked


# p(yes) a clause needs for "yes", and under which it is "no"; between, no answer. On the
# MultiHop development half the true clauses' answers scored 0.62 and above, and the
# clauses their articles do not state 0.47 and below (when the model was right at all).
YES = 0.6
NO = 0.5


def p_yes(llm: LLM, question: str, evidence: Sequence[Evidence]) -> float:
    """How likely the model answers the (one-clause) question "yes" from the passages:
    a one-token decision over one article's passages."""
    messages = [{"role": "system", "content": render("yes_no_system")},
                {"role": "user", "content": render("yes_no_user", passages=evidence,
                                                   question=question)}]
    try:
        odds = llm.choose(messages, ["yes", "no"])
    except MalformedReplyError:
        return (YES + NO) / 2  # undecided
    total = odds["yes"] + odds["no"]
    return odds["yes"] / total if total else (YES + NO) / 2
