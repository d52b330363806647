"""Compound yes/no questions: cut into clauses, each answered on its own article."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rag.compound import clauses, descriptions
from rag.knowledge_base import KnowledgeBase
from tests.conftest import NEWER_SEED, OLDER_SEED
from tests.fakes import ScriptedLLM
from tests.test_answer import assert_quotes_are_exact
from tests.test_answer_model import chain

OUTLETS = ["Sporting News", "Fortune", "The Verge"]


@pytest.mark.parametrize(("question", "expected"), [
    ("Does the Polygon article suggest that X, while the Verge article indicates that Y?",
     ["Does the Polygon article suggest that X?",
      "Is it true that the Verge article indicates that Y?"]),
    ("Did Fortune report X whereas TechCrunch reported Y?",
     ["Did Fortune report X?", "Is it true that TechCrunch reported Y?"]),
    # "the same source" is the outlet the first clause names
    ("Did the Sporting News report a win, and did the same source also report a loss?",
     ["Did the Sporting News report a win?", "Did Sporting News also report a loss?"]),
    # a closing comment asks nothing of the articles
    ("Does Fortune claim X, while The Verge says Y, indicating different views?",
     ["Does Fortune claim X?", "Is it true that The Verge says Y?"]),
])
def test_a_compound_question_is_cut_into_its_clauses(question: str, expected: list[str]
                                                     ) -> None:
    assert clauses(question, OUTLETS) == expected


@pytest.mark.parametrize("question", [
    "Have joint operations resumed?",
    "Did the army and the police take part?",  # one question about two subjects
    "Did prices rise, and by how much?",  # the second part is not a yes/no question
    "Who said X, while Y happened?",  # not a yes/no question
    "Was the report consistent, or did it change?",  # offers alternatives
])
def test_a_question_asking_one_thing_is_left_whole(question: str) -> None:
    assert clauses(question, OUTLETS) == [question]


COMPOUND_Q = ("Did the Iraqi military statement say joint operations with the coalition had "
              "resumed after a pause, while Abdulkarim Khalaf told AFP that the coalition had "
              "no permission from Baghdad?")


def clause_answers(prompt: str) -> bool:
    return prompt.rstrip().endswith("Reply yes or no.") and "Question: " in prompt


def test_each_clause_is_answered_on_its_own_article(extractive: KnowledgeBase,
                                                   seeds: Path) -> None:
    llm = ScriptedLLM(verdict=0.9)
    answer = chain(extractive, llm).ask(COMPOUND_Q).as_dict()
    asked = [c.prompt for c in llm.verdicts if clause_answers(c.prompt)]
    assert llm.drafts == []  # no draft of the whole question
    assert len(asked) == 2
    assert "Question: Did the Iraqi military statement say" in asked[0]
    assert "Question: Is it true that Abdulkarim Khalaf told AFP" in asked[1]
    assert answer["answer"].startswith("Yes [") and not answer["refused"]
    assert {c["source"] for c in answer["citations"]} == {NEWER_SEED, OLDER_SEED}
    assert_quotes_are_exact(answer, seeds)


def test_a_clause_answered_no_makes_the_answer_no_and_says_which(
        extractive: KnowledgeBase) -> None:
    llm = ScriptedLLM(verdict=lambda prompt: 0.2 if "Question: Is it true" in prompt else 0.9)
    answer = chain(extractive, llm).ask(COMPOUND_Q)
    assert answer.answer.startswith("No [") and not answer.refused
    assert "do not bear out" in answer.answer and "Abdulkarim Khalaf told AFP" in answer.answer
    assert {c.passage.source for c in answer.citations} == {OLDER_SEED}


def test_an_undecided_clause_is_a_refusal(extractive: KnowledgeBase) -> None:
    llm = ScriptedLLM(verdict=lambda prompt: 0.55 if "Question: Is it true" in prompt else 0.9)
    answer = chain(extractive, llm).ask(COMPOUND_Q)
    assert answer.refused and answer.citations == []


# -- questions that describe their answer several ways ---------------------------------------

@pytest.mark.parametrize(("question", "expected"), [
    ("Who, according to Fortune, became X and faced Y, and is also known from TechCrunch "
     "for Z?", ["Who, according to Fortune, became X and faced Y?",
                "Who is known from TechCrunch for Z?"]),
    ("Which company, featured in TechCrunch articles, is both seeking X and addressing Y, "
     "while also facing Z?", ["Which company, featured in TechCrunch articles, is seeking X "
                              "and addressing Y?", "Which company facing Z?"]),
    ("Which rugby team suffered defeats to Ireland, and had their handling challenged?",
     ["Which rugby team suffered defeats to Ireland?",
      "Which rugby team had their handling challenged?"]),
])
def test_a_question_describing_its_answer_several_ways_is_cut(question: str,
                                                              expected: list[str]) -> None:
    assert descriptions(question) == expected


@pytest.mark.parametrize("question", [
    "What entity was a customer, payment processor, and market maker?",  # one description
    "Who denied that joint operations had resumed?",
    "Did Fortune report X, and is it also in The Verge?",  # yes/no: clauses() cuts those
])
def test_a_question_describing_its_answer_once_is_left_whole(question: str) -> None:
    assert descriptions(question) == [question]


DESCRIBED_Q = ("Who, according to Fortune, announced the merger of Nordbank with Ostbank, and "
               "is also known from The Verge for unveiling a payments app at a developer "
               "conference?")


def two_reports(make_settings: Callable[..., Any], tmp_path: Path) -> KnowledgeBase:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "fortune.txt").write_text(
        "Title: Nordbank to merge\nDate: 2023-10-02\nSource: Fortune\n\n"
        "Maria Lind, the chief executive of Nordbank, announced the merger of Nordbank with "
        "Ostbank on Monday. Shares of both banks rose.\n", encoding="utf-8")
    (folder / "verge.txt").write_text(
        "Title: A payments app\nDate: 2023-10-09\nSource: The Verge\n\n"
        "At a developer conference in Oslo, Maria Lind unveiled a payments app for phones. "
        "The app works offline.\n", encoding="utf-8")
    kb = KnowledgeBase(make_settings(llm={"backend": "extractive"}))
    kb.ingest([folder])
    return kb


def test_each_description_of_the_answer_is_checked_on_its_own_article(
        make_settings: Callable[..., Any], tmp_path: Path) -> None:
    kb = two_reports(make_settings, tmp_path)
    # No one article states the whole question; each states one description.
    llm = ScriptedLLM(draft={"sources": [1], "answer": "Maria Lind"},
                      verdict=lambda prompt: 0.2 if "and is also known" in prompt else 0.9)
    answer = chain(kb, llm, min_relevance=0.0).ask(DESCRIBED_Q)
    assert not answer.refused and answer.answer.startswith("Maria Lind [")
    assert {c.passage.source for c in answer.citations} == {"fortune.txt", "verge.txt"}
    asked = [c.prompt for c in llm.verdicts]
    assert any("Question: Who is known from The Verge for unveiling" in p for p in asked)


def test_an_answer_one_description_does_not_fit_is_refused(
        make_settings: Callable[..., Any], tmp_path: Path) -> None:
    kb = two_reports(make_settings, tmp_path)
    llm = ScriptedLLM(draft={"sources": [1], "answer": "Maria Lind"},
                      verdict=lambda prompt: 0.9 if "Question: Who, according to Fortune, "
                      "announced the merger of Nordbank with Ostbank?" in prompt else 0.2)
    assert chain(kb, llm, min_relevance=0.0).ask(DESCRIBED_Q).refused
