"""Answers over sources that give different values (scripted model, hash embeddings)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rag.answer import AnswerChain
from rag.knowledge_base import KnowledgeBase
from rag.settings import Settings
from tests.fakes import ScriptedLLM, passage_saying

QUESTION = "What is the population of Millbrook?"
SMALL = "The census found that Millbrook has a population of 12,000 people."
LARGE = "Millbrook has a population of 30,000 people, the town council said."


def corpus(folder: Path, small_date: str | None, large_date: str | None) -> Path:
    folder.mkdir()
    for name, text, published in (("small.txt", SMALL, small_date),
                                  ("large.txt", LARGE, large_date)):
        header = f"Date: {published}\n" if published else ""
        (folder / name).write_text(f"Title: Millbrook {name[:-4]}\n{header}\n{text}\n"
                                   "Its mayor opened a new library in the spring.\n")
    return folder


def ask(make_settings: Callable[..., Settings], folder: Path, llm: ScriptedLLM,
        question: str = QUESTION) -> dict[str, Any]:
    kb = KnowledgeBase(make_settings(llm={"backend": "extractive"}))
    kb.ingest([folder])
    return AnswerChain(kb.settings, kb.retriever, kb.embedder, llm).ask(question).as_dict()


def both_values(prompt: str) -> dict[str, Any]:
    return {"answers": [{"sources": [passage_saying(prompt, "12,000")], "answer": "12,000"},
                        {"sources": [passage_saying(prompt, "30,000")], "answer": "30,000"}]}


def test_undated_sources_that_differ_are_a_contradiction_naming_both_values(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    answer = ask(make_settings, corpus(tmp_path / "c", None, None), ScriptedLLM(draft=both_values))
    assert not answer["refused"] and answer["answer"].startswith("12,000 [")
    [conflict] = answer["conflicts"]
    assert conflict["kind"] == "contradiction" and conflict["newest"] is None
    assert {(c["source"], c["value"]) for c in conflict["claims"]} == {
        ("small.txt", "12,000"), ("large.txt", "30,000")}
    assert "Sources disagree:" in answer["answer"] and "gives 30,000" in answer["answer"]
    assert "not dated" in answer["answer"]
    assert {c["source"] for c in answer["citations"]} == {"small.txt", "large.txt"}


def test_a_newer_report_is_an_update_and_its_value_leads(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    folder = corpus(tmp_path / "c", "2023-01-05", "2023-03-01")
    answer = ask(make_settings, folder, ScriptedLLM(draft=both_values))
    assert answer["answer"].startswith("30,000 [")  # the newest report's value
    [conflict] = answer["conflicts"]
    assert conflict["kind"] == "update" and conflict["newest"] == "large.txt"
    assert [c["published"] for c in conflict["claims"]] == ["2023-01-05", "2023-03-01"]
    assert "on 2023-01-05" in answer["answer"] and "2023-03-01 report is the most recent" in \
        answer["answer"]


def test_another_value_its_passage_does_not_state_is_no_conflict(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    llm = ScriptedLLM(draft=both_values,
                      verdict=lambda p: "no" if "Proposed answer: 30,000" in p else "yes")
    answer = ask(make_settings, corpus(tmp_path / "c", None, None), llm)
    assert answer["answer"].startswith("12,000 [") and answer["conflicts"] == []
    assert "30,000" not in answer["answer"]


@pytest.mark.parametrize("other", ["12,000 people", "12000"])
def test_the_same_value_in_other_words_is_no_conflict(
        make_settings: Callable[..., Settings], tmp_path: Path, other: str) -> None:
    def draft(prompt: str) -> dict[str, Any]:
        return {"answers": [{"sources": [passage_saying(prompt, "12,000")], "answer": "12,000"},
                            {"sources": [passage_saying(prompt, "30,000")], "answer": other}]}

    llm = ScriptedLLM(draft=draft,
                      verdict=lambda p: "no" if "Proposed answer: 30,000" in p else "yes")
    answer = ask(make_settings, corpus(tmp_path / "c", None, None), llm)
    assert answer["conflicts"] == []
    assert not [c for c in llm.verdicts if f"Proposed answer: {other}\n" in c.prompt]


def test_when_the_first_value_is_not_stated_the_one_that_is_leads(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    llm = ScriptedLLM(draft=both_values,
                      verdict=lambda p: "no" if "Proposed answer: 12,000" in p else "yes")
    answer = ask(make_settings, corpus(tmp_path / "c", None, None), llm)
    assert answer["answer"].startswith("30,000 [") and answer["conflicts"] == []


def test_a_value_the_model_did_not_list_is_found_in_the_other_article(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "12,000")],
                                       "answer": "12,000"})
    answer = ask(make_settings, corpus(tmp_path / "c", None, None), llm)
    [conflict] = answer["conflicts"]
    assert [c["value"] for c in conflict["claims"]] == ["12,000", "30,000"]
    assert any("Proposed answer: 30,000" in c.prompt for c in llm.verdicts)
    # Checked and not stated: no disagreement.
    llm = ScriptedLLM(draft=llm.draft,
                      verdict=lambda p: "no" if "Proposed answer: 30,000" in p else "yes")
    assert ask(make_settings, corpus(tmp_path / "d", None, None), llm)["conflicts"] == []


def test_different_things_sharing_a_name_are_told_apart_not_called_a_conflict(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    llm = ScriptedLLM(draft=both_values, subject="different")
    answer = ask(make_settings, corpus(tmp_path / "c", None, None), llm)
    [conflict] = answer["conflicts"]
    assert conflict["kind"] == "same_name" and conflict["newest"] is None
    assert "Different things share this name: 12,000 for" in answer["answer"]
    assert "Sources disagree" not in answer["answer"]
    [asked] = [c for c in llm.calls if (c.schema or {}).get("enum") == ["same", "different"]]
    assert SMALL in asked.prompt and LARGE in asked.prompt


def test_a_question_about_what_a_source_said_keeps_that_answer(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    folder = corpus(tmp_path / "c", "2023-01-05", "2023-03-01")
    kb = KnowledgeBase(make_settings(llm={"backend": "extractive"}))
    kb.ingest([folder])
    chain = AnswerChain(kb.settings, kb.retriever, kb.embedder, ScriptedLLM(draft=both_values))
    answer = chain.ask("What is the population of Millbrook, according to the articles?")
    assert answer.answer.startswith("12,000 [")  # what that article says, not the newest
    assert [c.kind for c in answer.conflicts] == ["update"]


def test_the_same_statement_with_another_value_is_a_conflict_without_the_model(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    # Two copies of one sentence, the figure changed: divided on their surface, whatever the
    # model says of the other value, and about the same town.
    folder = tmp_path / "c"
    folder.mkdir()
    for name, figure in (("first.txt", "12,000"), ("second.txt", "30,000")):
        (folder / name).write_text(
            f"Title: Millbrook {name[:-4]}\n\nThe census found that the town of Millbrook, "
            f"north of the river, has a population of {figure} people this year.\n")
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "12,000")],
                                       "answer": "12,000"},
                      verdict=lambda p: "no" if "Proposed answer: 30,000" in p else "yes",
                      subject="different")
    answer = ask(make_settings, folder, llm)
    [conflict] = answer["conflicts"]
    assert conflict["kind"] == "contradiction"
    assert [c["value"] for c in conflict["claims"]] == ["12,000", "30,000"]
    assert not [c for c in llm.verdicts if "Proposed answer: 30,000" in c.prompt]
    assert not [c for c in llm.calls if (c.schema or {}).get("enum") == ["same", "different"]]


PROFESSION = "What is the profession of Ian Murray?"


def profession_corpus(folder: Path) -> Path:
    # Each article gives its answer in its own words: no value of one sits in the other's
    # slot, so only reading each article on its own finds the second answer.
    folder.mkdir()
    (folder / "bishop.txt").write_text(
        "Title: Ian Murray (bishop)\n\nIan Murray was a Scottish divine and the ninth "
        "Bishop of Argyll, the profession he kept all his life.\n")
    (folder / "politician.txt").write_text(
        "Title: Ian Murray (politician)\n\nIan Murray, born in 1951, is a Canadian "
        "politician by profession who sat in the House of Commons.\n")
    return folder


def each_article_answers(prompt: str) -> dict[str, Any]:
    if "divine" in prompt:
        return {"sources": [passage_saying(prompt, "divine")], "answer": "divine"}
    return {"sources": [passage_saying(prompt, "Canadian")], "answer": "politician"}


def test_an_answer_in_another_slot_is_found_by_asking_that_article_alone(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    llm = ScriptedLLM(draft=each_article_answers, subject="different")
    answer = ask(make_settings, profession_corpus(tmp_path / "c"), llm, PROFESSION)
    [conflict] = answer["conflicts"]
    assert conflict["kind"] == "same_name"
    assert [(c["source"], c["value"]) for c in conflict["claims"]] == [
        ("bishop.txt", "divine"), ("politician.txt", "politician")]
    alone = [c for c in llm.drafts if "divine" not in c.prompt]
    assert len(alone) == 1 and "Canadian politician" in alone[0].prompt
    assert any("Proposed answer: politician" in c.prompt for c in llm.verdicts)


def test_an_article_alone_gives_no_second_answer_its_passage_does_not_state(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    llm = ScriptedLLM(draft=each_article_answers,
                      verdict=lambda p: "no" if "Proposed answer: politician" in p else "yes")
    answer = ask(make_settings, profession_corpus(tmp_path / "c"), llm, PROFESSION)
    assert answer["answer"].startswith("Divine [") and answer["conflicts"] == []


def test_an_article_alone_answering_another_kind_of_thing_is_no_second_value(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "bishop.txt").write_text(
        "Title: Ian Murray (bishop)\n\nIan Murray, born on 15 December 1932, was a "
        "Scottish divine and Bishop of Argyll.\n")
    (folder / "politician.txt").write_text(
        "Title: Ian Murray (politician)\n\nIan Murray was born in Edinburgh and became a "
        "Canadian politician.\n")

    def answers(prompt: str) -> dict[str, Any]:
        if "1932" in prompt:
            return {"sources": [passage_saying(prompt, "1932")], "answer": "15 December 1932"}
        return {"sources": [passage_saying(prompt, "Edinburgh")], "answer": "Edinburgh"}

    llm = ScriptedLLM(draft=answers, subject="different")
    answer = ask(make_settings, folder, llm, "When was Ian Murray born?")
    assert len(llm.drafts) == 2  # the politician's article was asked alone
    assert answer["answer"].startswith("15 December 1932 [") and answer["conflicts"] == []
