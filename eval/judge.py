"""An optional LLM-as-judge for free-form answers, reported apart from the deterministic metrics.

Off by default (`rag eval --judge`). Uses any configured chat backend; its
verdict is one word, read as yes/no, and unreadable replies count as no verdict.
"""

from __future__ import annotations

from eval.cases import Case
from rag.llm import LLM
from rag.prompting import render


def verdict(llm: LLM, case: Case, answer: str) -> bool | None:
    """Whether the judge model finds `answer` states the case's expected answer."""
    expected = case.answer or "; ".join(case.facts)
    messages = [{"role": "system", "content": render("judge_system")},
                {"role": "user", "content": render("judge_user", question=case.question,
                                                   expected=expected, answer=answer)}]
    reply = llm.complete(messages, max_tokens=4).text.strip().lower()
    if reply.startswith("yes"):
        return True
    if reply.startswith("no"):
        return False
    return None
