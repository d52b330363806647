"""The answer chain with a model: structured draft -> verified -> composed (scripted model)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from rag.answer import PER_SOURCE_CHECKS, AnswerChain
from rag.knowledge_base import KnowledgeBase
from tests.conftest import NEWER_SEED, OLDER_SEED
from tests.fakes import ScriptedLLM, passage_saying
from tests.test_answer import CONFLICT_Q, WOUNDED_Q, assert_quotes_are_exact

SPOKESMAN_Q = "Who is the Iraqi spokesman who denied that joint operations had resumed?"


def chain(kb: KnowledgeBase, llm: ScriptedLLM, **retrieval: float) -> AnswerChain:
    settings = kb.settings.model_copy(update={
        "retrieval": kb.settings.retrieval.model_copy(update=retrieval)})
    return AnswerChain(settings, kb.retriever, kb.embedder, llm)


def test_verified_short_answer_is_composed_with_its_citations(extractive: KnowledgeBase,
                                                              seeds: Path) -> None:
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "wounded 50")],
                                       "answer": "50"})
    streamed: list[str] = []
    answer = chain(extractive, llm).ask(WOUNDED_Q, on_token=streamed.append).as_dict()
    assert not answer["refused"]
    assert answer["answer"].startswith("50 [") and "[" not in answer["answer"][:2]
    assert [c["source"] for c in answer["citations"]] == [NEWER_SEED]
    assert all(c["supported"] for c in answer["citations"])
    assert streamed == [answer["answer"]]
    assert len(llm.verdicts) == 1 and "Proposed answer: 50" in llm.verdicts[0].prompt
    assert_quotes_are_exact(answer, seeds)


def test_answer_the_verifier_rejects_is_a_refusal(extractive: KnowledgeBase) -> None:
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "Mark Esper")],
                                       "answer": "Mark Esper"}, verdict="no")
    answer = chain(extractive, llm).ask(
        "Who is the US Defense Secretary's spokesman in the articles?").as_dict()
    assert answer["refused"] and answer["citations"] == []
    assert "do not say" in answer["answer"]


def test_a_number_the_passages_do_not_state_is_refused_without_asking(
        extractive: KnowledgeBase) -> None:
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "wounded 50")],
                                       "answer": "11"}, verdict="yes")
    assert chain(extractive, llm).ask(WOUNDED_Q).refused
    assert llm.verdicts == []


def test_the_passage_naming_the_answer_joins_its_citations(extractive: KnowledgeBase) -> None:
    # The model cites the sentence restating the question; the name is in another one.
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "spokesman denied")],
                                       "answer": "Abdulkarim Khalaf"})
    # Every retrieved sentence shown: the hash embedder ranks the naming one too low to be
    # chosen (with MiniLM it is; tests/test_integration_minilm.py).
    answer = chain(extractive, llm, context_cutoff=0.0, context_sentences=30).ask(SPOKESMAN_Q)
    assert not answer.refused and answer.answer.startswith("Abdulkarim Khalaf [")
    assert any("Abdulkarim Khalaf" in c.passage.text for c in answer.citations)
    assert "said Abdulkarim Khalaf" in llm.verdicts[0].prompt


def test_free_text_instead_of_the_structure_is_a_refusal(extractive: KnowledgeBase) -> None:
    llm = ScriptedLLM(draft="50 American troops were wounded [1].")
    answer = chain(extractive, llm).ask(WOUNDED_Q)
    assert answer.refused and llm.verdicts == []


def test_yes_no_answer_with_a_disagreement_states_both_sides(extractive: KnowledgeBase,
                                                            seeds: Path) -> None:
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "resumed")],
                                       "answer": "yes"})
    answer = chain(extractive, llm).ask(CONFLICT_Q).as_dict()
    assert answer["answer"].startswith("Yes [")
    assert {c["source"] for c in answer["citations"]} == {NEWER_SEED, OLDER_SEED}
    (conflict,) = answer["conflicts"]
    text = answer["answer"]
    # Each side's own words, its date and outlet, and which report is newer.
    assert "on 2020-01-16, SpaceWar.com (AFP) reported" in text
    assert "denied reports" in text and "have resumed" in text
    assert "The 2020-01-30 report is the most recent." in text
    assert_quotes_are_exact(answer, seeds)


def test_a_rejected_yes_becomes_the_no_its_passages_state(extractive: KnowledgeBase) -> None:
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "denied reports")],
                                       "answer": "yes"},
                      verdict=lambda prompt: "yes" if "Proposed answer: no" in prompt else "no")
    answer = chain(extractive, llm).ask(
        "Did the Iraqi government confirm that joint operations had resumed?", as_of=None)
    assert answer.answer.startswith("No [") and not answer.refused
    assert "reported \"" in answer.answer and "denied reports" in answer.answer
    # The denial states "no" on its surface: the model is not asked about it. Only "yes"
    # against the most relevant passage that is not a denial is asked (not stated).
    assert [("Proposed answer: yes" in c.prompt) for c in llm.verdicts] == [True]
    assert not answer.conflicts


def test_a_hesitant_yes_gives_way_to_a_denial_in_the_article_it_cites(
        extractive: KnowledgeBase) -> None:
    # The model's "yes" clears the answer threshold (0.5) but not a confident one (0.7);
    # the article it cites denies on its surface.
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "New York Times")],
                                       "answer": "yes"}, verdict=0.6)
    answer = chain(extractive, llm, context_cutoff=0.3).ask(CONFLICT_Q, as_of=date(2020, 1, 20))
    assert answer.answer.startswith("As of 2020-01-20: No [")
    assert all("denied" in c.passage.text for c in answer.citations[:1])
    # The reader sees the denial the "no" rests on, with its date and outlet.
    assert 'On 2020-01-16, SpaceWar.com (AFP) reported "An Iraqi government spokesman denied' \
        in answer.answer
    confident = ScriptedLLM(draft=llm.draft, verdict="yes")
    answer = chain(extractive, confident, context_cutoff=0.3).ask(CONFLICT_Q,
                                                                  as_of=date(2020, 1, 20))
    assert answer.answer.startswith("As of 2020-01-20: Yes [")


def test_a_yes_beside_a_denial_that_states_no_is_an_update(extractive: KnowledgeBase) -> None:
    # The newer article confirms; the older one's denial states "no": both sides, newest first.
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "resumed")],
                                       "answer": "yes"})
    answer = chain(extractive, llm).ask(CONFLICT_Q).as_dict()
    assert answer["answer"].startswith("Yes [")
    [update] = answer["conflicts"]
    assert update["kind"] == "update" and update["newest"] == NEWER_SEED
    assert [c["value"] for c in update["claims"]] == ["no", "yes"]


def test_a_yes_beside_a_denial_of_the_same_day_is_a_contradiction(
        extractive: KnowledgeBase) -> None:
    # As of 2020-01-20 only the older article: it reports the New York Times saying the
    # operations resumed, and the Iraqi spokesman denying it. The denial states "no" on
    # its surface (no model verdict needed); one day, so neither side is newest.
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "New York Times")],
                                       "answer": "yes"},
                      verdict=lambda p: "yes" if "Proposed answer: yes" in p else "no")
    answer = chain(extractive, llm, context_cutoff=0.3).ask(CONFLICT_Q,
                                                           as_of=date(2020, 1, 20)).as_dict()
    assert answer["answer"].startswith("As of 2020-01-20: Yes [")
    [conflict] = answer["conflicts"]
    assert conflict["kind"] == "contradiction" and conflict["newest"] is None
    assert [c["value"] for c in conflict["claims"]] == ["yes", "no"]
    assert "denied" in answer["answer"] and "same day" in answer["answer"]
    assert not [c for c in llm.verdicts if "Proposed answer: no" in c.prompt]


def test_neither_answer_stated_is_a_refusal(extractive: KnowledgeBase) -> None:
    llm = ScriptedLLM(draft=lambda p: {"sources": [1], "answer": "yes"}, verdict="no")
    assert chain(extractive, llm).ask("Did Iran's missile attack wound American troops?").refused
    # yes and no on the cited passage, then both against each other article's passages.
    assert 2 <= len(llm.verdicts) <= 2 * (1 + PER_SOURCE_CHECKS)


def test_an_answer_its_citations_miss_is_found_in_the_article_that_states_it(
        extractive: KnowledgeBase, seeds: Path) -> None:
    # The model cites the denial for "yes"; only the newer article's passages state it.
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "denied reports")],
                                       "answer": "yes"},
                      verdict=lambda prompt: "yes" if "have resumed" in prompt
                      and "Proposed answer: yes" in prompt else "no")
    answer = chain(extractive, llm).ask(CONFLICT_Q).as_dict()
    assert answer["answer"].startswith("Yes [") and not answer["refused"]
    first_markers = answer["answer"].split(".")[0]
    cited_first = [c for c in answer["citations"] if f"[{c['n']}]" in first_markers]
    assert {c["source"] for c in cited_first} == {NEWER_SEED}
    assert answer["conflicts"] and "denied reports" in answer["answer"]
    assert_quotes_are_exact(answer, seeds)


def test_a_shortened_name_is_answered_and_checked_in_full(
        make_settings: Callable[..., Any], tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "ftx.txt").write_text(
        "Title: FTX's sister firm\nDate: 2023-10-05\nSource: Wire\n\n"
        "Alameda Research, the trading firm founded by Sam Bankman-Fried, took on losses to "
        "prop up the balance sheet of FTX. Executives at Alameda Research said the firm had "
        "acted legally as a customer and market maker.\n", encoding="utf-8")
    kb = KnowledgeBase(make_settings(llm={"backend": "extractive"}))
    kb.ingest([folder])
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "took on losses")],
                                       "answer": "Alameda"})
    answer = chain(kb, llm, min_relevance=0.0).ask(
        "Which firm took on losses to prop up the balance sheet of FTX?")
    assert answer.answer.startswith("Alameda Research [")
    assert "Proposed answer: Alameda Research" in llm.verdicts[0].prompt


# "Which founder": no person asked for, so the context adds no naming sentence of its own.
ELLISON_Q = "Which founder instructed Caroline Ellison to use customer funds to repay lenders?"


def initials_corpus(folder: Path, naming: str) -> Path:
    folder.mkdir()
    (folder / "trial.txt").write_text(
        f"Title: The trial, week two\nDate: 2023-10-12\n\n{naming} The courtroom was full "
        "on Tuesday. Caroline Ellison testified that she used customer funds to repay "
        "lenders under the instruction of SBF.\n", encoding="utf-8")
    return folder


def ellison_chain(make_settings: Callable[..., Any], folder: Path, llm: ScriptedLLM
                  ) -> AnswerChain:
    kb = KnowledgeBase(make_settings(llm={"backend": "extractive"}))
    kb.ingest([folder])
    return chain(kb, llm, min_relevance=0.0, context_sentences=1)


def test_an_answer_named_elsewhere_in_the_cited_article_is_checked_on_that_sentence(
        make_settings: Callable[..., Any], tmp_path: Path) -> None:
    # The one sentence chosen calls him "SBF"; the article names him once, before it.
    folder = initials_corpus(tmp_path / "news", "Sam Bankman-Fried is on trial for fraud.")
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "instruction of SBF")],
                                       "answer": "Sam Bankman-Fried"},
                      verdict=lambda p: "yes" if "Sam Bankman-Fried is on trial" in p
                      else "no")
    answer = ellison_chain(make_settings, folder, llm).ask(ELLISON_Q).as_dict()
    assert answer["answer"].startswith("Sam Bankman-Fried [") and not answer["refused"]
    assert any(c["quote"] == "Sam Bankman-Fried is on trial for fraud."
               for c in answer["citations"])
    assert_quotes_are_exact(answer, folder)


def test_an_answer_the_cited_article_never_names_is_refused_without_asking(
        make_settings: Callable[..., Any], tmp_path: Path) -> None:
    folder = initials_corpus(tmp_path / "news", "The founder is on trial for fraud.")
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "instruction of SBF")],
                                       "answer": "Sam Bankman-Fried"})
    assert ellison_chain(make_settings, folder, llm).ask(ELLISON_Q).refused
    assert llm.verdicts == []


def test_what_the_latest_report_says_is_the_newest_articles_own_words(
        extractive: KnowledgeBase, seeds: Path) -> None:
    llm = ScriptedLLM(draft={"sources": [1], "answer": "SpaceWar.com on 2020-01-16"})
    # Every passage counts as relevant: the hash embedder scores the newer report low.
    answer = chain(extractive, llm, min_relevance=0.0).ask(
        "What is the latest report on joint operations between Iraq and the coalition?")
    assert llm.drafts == []  # quoted, not written
    assert answer.answer.startswith("The latest report on 2020-01-30: ")
    assert answer.citations[0].passage.source == NEWER_SEED
    assert [c.kind for c in answer.conflicts] == ["update"]  # the earlier denial, in words
    assert_quotes_are_exact(answer.as_dict(), seeds)


OFF_SCOPE_Q = ("In what ways did the resumed joint operations between Iraq and the coalition "
               "reshape regional diplomatic partnerships, trade corridors and tourism "
               "throughout the Gulf?")


def test_a_question_the_articles_shown_barely_speak_of_is_refused_before_a_draft(
        extractive: KnowledgeBase, monkeypatch: Any) -> None:
    llm = ScriptedLLM(draft=lambda p: {"sources": [passage_saying(p, "resumed")],
                                       "answer": "Joint military operations have resumed"},
                      verdict="yes")
    # No relevance gate: the hash embedder's scores are not what is tested here.
    answer = chain(extractive, llm, min_relevance=0.0).ask(OFF_SCOPE_Q)
    assert answer.refused and llm.drafts == []
    monkeypatch.setattr("rag.answer.speaks_of", lambda question, held: True)
    assert not chain(extractive, llm, min_relevance=0.0).ask(OFF_SCOPE_Q).refused
