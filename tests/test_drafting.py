"""Structured drafts: the schema the model is held to, and how its reply is read."""

from __future__ import annotations

import pytest

from rag.context import Passage
from rag.drafting import Value, draft_schema, is_yes_no, offered_choices, write_draft
from rag.records import StoredChunk
from tests.fakes import ScriptedLLM


def passage(n: int, text: str) -> Passage:
    chunk = StoredChunk(source=f"s{n}.txt", path="", title="T", published="2020-01-30",
                        outlet="Outlet", chunk=0, start=0, end=len(text), sha256="x", key="k",
                        total=1, embedding_model="hash", text=text)
    return Passage(n, chunk, 0, len(text), text, 0.9, (1.0,))


PASSAGES = [passage(1, "A spokesman denied the reports."),
            passage(2, '"They have not resumed," said Abdulkarim Khalaf.')]


@pytest.mark.parametrize(("question", "expected"), [
    ("Have joint operations resumed?", True),
    ("Did The Verge report on Meta after TechCrunch did?", True),
    ("Is it true that the Fed raised rates?", True),
    ("Were the operations resumed or not?", True),
    ("Did Apple or Google report higher sales, according to Reuters?", True),
    ("Was the spokesman Iraqi or American?", False),
    ("Has its compatibility stayed the same, or has there been a change?", False),
    ("Between the two reports, was the portrayal consistent or inconsistent?", False),
    ("Who is the Iraqi spokesman?", False),
    ("How many troops were wounded?", False),
    ("Which company did both outlets report on?", False),
    # A lead-in before the auxiliary.
    ("According to Khalaf, did the coalition have Baghdad's permission?", True),
    ("Who, in the end, did the board choose?", False),
])
def test_yes_no_questions(question: str, expected: bool) -> None:
    assert is_yes_no(question) is expected


def test_schema_allows_only_the_passages_shown_and_yes_no_when_asked() -> None:
    answers = draft_schema([1, 2, 5], yes_no=True)["properties"]["answers"]
    one = answers["items"]
    assert list(one["properties"]) == ["sources", "answer"]  # evidence first
    assert one["properties"]["sources"]["items"]["enum"] == [1, 2, 5]
    assert one["properties"]["answer"]["enum"] == ["yes", "no"]
    assert answers["maxItems"] == 2  # yes, and no
    short = draft_schema([1], yes_no=False)["properties"]["answers"]
    assert "enum" not in short["items"]["properties"]["answer"] and short["maxItems"] == 3


def test_draft_is_read_from_the_structure() -> None:
    llm = ScriptedLLM(draft={"sources": [2, 2, 1], "answer": " Abdulkarim Khalaf "})
    draft, completion = write_draft(llm, "Who is the spokesman?", PASSAGES, 40)
    assert draft is not None and completion is not None
    assert (draft.answer, draft.sources, draft.form) == ("Abdulkarim Khalaf", (2, 1), "short")
    assert llm.calls[0].schema == draft_schema([1, 2], yes_no=False)
    assert "[2] \"They have not resumed,\" said Abdulkarim Khalaf." in llm.calls[0].prompt


@pytest.mark.parametrize("reply", [
    "Abdulkarim Khalaf [2].",                          # free text: no structure
    '{"sources": [], "answer": "Khalaf"}',             # no evidence
    '{"sources": [7], "answer": "Khalaf"}',            # a passage it was not shown
    '{"sources": [1], "answer": ""}',                  # no answer
    '{"sources": [1], "answer": "Khalaf", "x": 1}',    # not the structure asked for
    '{"answers": []}',                                 # no answer at all
    '{"sources": [1], "answer": "Khalaf"}',            # one answer, not a list of them
])
def test_a_reply_outside_the_structure_is_no_draft(reply: str) -> None:
    draft, _ = write_draft(ScriptedLLM(draft=reply), "Who is the spokesman?", PASSAGES, 40)
    assert draft is None


def test_different_answers_are_kept_apart_and_repeats_dropped() -> None:
    llm = ScriptedLLM(draft={"answers": [
        {"sources": [1], "answer": "12,000"}, {"sources": [2], "answer": "30,000"},
        {"sources": [2], "answer": "12,000"}, {"sources": [9], "answer": "40,000"}]})
    draft, _ = write_draft(llm, "How many people live there?", PASSAGES, 60)
    assert draft is not None and (draft.answer, draft.sources) == ("12,000", (1,))
    assert draft.others == (Value("30,000", (2,)),)  # a repeat and an unseen passage dropped


def test_yes_no_draft_is_normalized() -> None:
    draft, _ = write_draft(ScriptedLLM(draft={"sources": [1], "answer": "Yes"}),
                           "Did they resume?", PASSAGES, 40)
    assert draft is not None and (draft.answer, draft.form) == ("yes", "yes_no")
    draft, _ = write_draft(ScriptedLLM(draft={"sources": [1], "answer": "maybe"}),
                           "Did they resume?", PASSAGES, 40)
    assert draft is None


@pytest.mark.parametrize(("question", "expected"), [
    ("Did the same source report a successful or unsuccessful field goal attempt later?",
     ("successful", "unsuccessful")),
    ("Did the later report show an agreement or disagreement with the earlier one?",
     ("agreement", "disagreement")),
    ("Was the portrayal consistent or inconsistent?", ("consistent", "inconsistent")),
    ("Was the spokesman Iraqi or American?", ()),  # not a word and its negation
    ("Did prices rise or fall?", ()),
    ("Were the operations resumed or not?", ()),
])
def test_a_word_and_its_negation_offered_as_the_answer(question: str,
                                                       expected: tuple[str, ...]) -> None:
    assert offered_choices(question) == expected


def test_a_question_offering_a_word_or_its_negation_is_answered_with_one() -> None:
    question = "Was the later report consistent or inconsistent with the first?"
    llm = ScriptedLLM(draft={"sources": [1], "answer": "inconsistent"})
    draft, _ = write_draft(llm, question, PASSAGES, 40)
    assert draft is not None and (draft.answer, draft.form) == ("inconsistent", "short")
    schema = llm.calls[0].schema
    assert schema == draft_schema([1, 2], yes_no=False, choices=("consistent", "inconsistent"))
    assert schema["properties"]["answers"]["items"]["properties"]["answer"]["enum"] == [
        "consistent", "inconsistent"]
    assert "Answer consistent or inconsistent" in llm.calls[0].prompt
