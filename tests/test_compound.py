"""Compound yes/no questions: cut into clauses, each answered on its own article."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.compound import clauses, sides
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


@pytest.mark.parametrize(("question", "expected"), [
    ("Does the Guardian describe his bowling differently in the first game compared to "
     "his batting in the final?",
     ["Does the Guardian describe his bowling differently in the first game",
      "his batting in the final"]),
    ("Do those who lost a parent grieve at big events in a similar way to how the actor "
     "described his grief to Fox News?",
     ["Do those who lost a parent grieve at big events",
      "the actor described his grief to Fox News"]),
    ("Has Sporting News' coverage of the bonus offers remained consistent with their "
     "coverage of the Eagles game?",
     ["Has Sporting News' coverage of the bonus offers", "their coverage of the Eagles game"]),
    # each side of "between A and B" keeps what is compared
    ("Was the portrayal of his fraud consistent between the report from Fortune on "
     "October 4 and the report from TechCrunch?",
     ["Was the portrayal of his fraud consistent in the report from Fortune on October 4",
      "Was the portrayal of his fraud consistent in the report from TechCrunch"]),
    # "between" first, and the offered choices asked of the first
    ("Between the report by Fortune on the trial and the report by TechCrunch on the "
     "verdict, was his portrayal consistent or inconsistent?",
     ["in the report by Fortune on the trial, was his portrayal consistent",
      "in the report by TechCrunch on the verdict, was his portrayal consistent"]),
])
def test_a_comparison_is_cut_into_its_two_sides(question: str, expected: list[str]) -> None:
    assert sides(question) == expected


@pytest.mark.parametrize("question", [
    "Have joint operations resumed?",
    "Did the report compare prices to last year?",  # "compare" is what was reported
    "Who compared the army to the police?",  # not a yes/no question
    "Was the outcome consistent with expectations?",  # too little on one side to retrieve
    "Was the army split between the north and south?",  # no report on either side
    # one question about a pair, not two reports compared
    "Have joint operations between Iraq and the US-led coalition resumed?",
])
def test_a_question_comparing_nothing_has_no_sides(question: str) -> None:
    assert sides(question) == []


COMPARED_Q = ("Does the Iraqi military statement on joint operations with the coalition "
              "describe them differently compared to how Abdulkarim Khalaf described "
              "the coalition's permission from Baghdad?")


def test_a_comparison_is_decided_once_over_both_articles(extractive: KnowledgeBase,
                                                         seeds: Path) -> None:
    llm = ScriptedLLM(verdict=0.9)
    answer = chain(extractive, llm).ask(COMPARED_Q).as_dict()
    asked = [c.prompt for c in llm.verdicts if clause_answers(c.prompt)]
    assert llm.drafts == []
    assert len(asked) == 1 and f"Question: {COMPARED_Q}" in asked[0]
    assert "military statement" in asked[0] and "Khalaf" in asked[0]  # both sides read
    assert answer["answer"].startswith("Yes [") and not answer["refused"]
    assert "Compared: " in answer["answer"]
    assert {c["source"] for c in answer["citations"]} == {NEWER_SEED, OLDER_SEED}
    assert_quotes_are_exact(answer, seeds)


def test_a_comparison_the_model_answers_no_is_no(extractive: KnowledgeBase) -> None:
    answer = chain(extractive, ScriptedLLM(verdict=0.2)).ask(COMPARED_Q)
    assert answer.answer.startswith("No [") and not answer.refused
    assert {c.passage.source for c in answer.citations} == {NEWER_SEED, OLDER_SEED}


def test_a_comparison_offering_two_words_is_answered_with_one(
        extractive: KnowledgeBase) -> None:
    question = ("Between the Iraqi military statement that joint operations against ISIS had "
                "resumed after a nearly three-week pause and the report that Abdulkarim "
                "Khalaf told AFP the coalition had no permission from Baghdad, was the "
                "reporting consistent or inconsistent?")
    llm = ScriptedLLM(verdict=0.2)
    answer = chain(extractive, llm).ask(question)
    (asked,) = [c.prompt for c in llm.verdicts if clause_answers(c.prompt)]
    assert "was the reporting consistent?" in asked
    assert answer.answer.startswith("Inconsistent [") and not answer.refused
    assert {c.passage.source for c in answer.citations} == {NEWER_SEED, OLDER_SEED}


def test_an_undecided_comparison_is_drafted_and_checked_as_it_stands(
        extractive: KnowledgeBase) -> None:
    llm = ScriptedLLM(draft={"sources": [1], "answer": "yes"}, verdict=0.55)
    answer = chain(extractive, llm).ask(COMPARED_Q)
    assert len(llm.drafts) == 1  # the ordinary draft, after the undecided comparison
    assert "Compared: " not in answer.answer


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
