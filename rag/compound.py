"""Compound yes/no questions, asked one clause at a time.

"Does the Polygon article suggest X, while the Essentially Sports article
indicates Y?" asks two things of two articles, and is "yes" only when both
hold. Checked as one claim against passages of one article, it can never be
stated, and a small model's verdict on the whole lands near 0.5 whatever the
truth. So such a question is cut into its clauses, each a question of its own
("Is it true that the Essentially Sports article indicates Y?"), each retrieved
and answered on the passages of the article that best matches it.

A comparison ("Does the Guardian describe X differently compared to Y?", "Has
the reporting remained consistent with its coverage of Y?") asks one thing of
two reports: each side is retrieved on its own, and the question is then
decided once over both sides' passages, since neither report alone can state
that they differ or agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.drafting import is_yes_no, with_first_choice
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
# "Between A and B, was the portrayal consistent?": a yes/no question behind its comparison.
_BETWEEN_FIRST = re.compile(rf"^between\b.*,\s+{_AUX}\b", re.I)


# Where the second side of a comparison starts: "X compared to how Y", "X in a similar
# way to how Y", "X remained consistent with Y", "X differently from Y".
_COMPARED = re.compile(
    r"\s+(?:(?:in a different light|differently|in a similar way|similarly|the same way)\s+)?"
    r"(?:compared (?:to|with)|(?:similar|identical) to|differently (?:from|than)|"
    r"(?:in a similar way|similarly|the same way) (?:to|as)|"
    r"(?:(?:remained|stayed|been|is|was|were|are) )?(?:consistent|in line) with)"
    r"(?:\s+(?:how|what|that))?\s+", re.I)
# "Between X and the Y, was ...", "consistency between X and Y": a second side opens with a
# determiner, so "sites and apps" stays in one side.
_BETWEEN = re.compile(r"\bbetween\s+(.+?),?\s+and\s+((?:the|their|its|his|her|a|an)\s.+?)"
                      r"(?:,\s+(?=" + _AUX + r"\b)|\?|$)", re.I)

# What a question must ask of the two sides to be a comparison of reports: "Have operations
# between Iraq and the coalition resumed?" is one question about a pair.
_JUDGED = re.compile(r"\b(?:consisten|inconsisten|differ|similar|same|identical|change|"
                     r"agree|disagree|contradict|in line)", re.I)


def sides(question: str) -> list[str]:
    """The two reports a yes/no comparison sets side by side, each as a text to retrieve
    on, or `[]` when the question compares nothing. "Was X consistent between A and B?"
    gives "Was X consistent in A?" and "... in B?": A and B often name only a report.
    A question offering a word and its negation ("consistent or inconsistent") counts as
    yes/no: it is asked of the first (`rag.drafting.with_first_choice`)."""
    text = with_first_choice(question.strip())
    if not (is_yes_no(text) or _BETWEEN_FIRST.match(text)):
        return []
    body = text.rstrip("?").rstrip()
    if (match := _BETWEEN.search(body)) and _JUDGED.search(
            body[:match.start()] + body[match.end():]):
        before, after = body[:match.start()], body[match.end(2):]
        found = [f"{before}in {side.strip(' ,')}{after}"
                 for side in (match.group(1), match.group(2))]
    else:
        found = _COMPARED.split(body, maxsplit=1)
    found = [side.strip(" ,") for side in found]
    return found if len(found) == 2 and all(len(side.split()) >= 3 for side in found) else []


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
