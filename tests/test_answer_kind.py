"""What a question asks for (a person, a number, a time, a place) and which sentences name one."""

from __future__ import annotations

import pytest

from rag.answer_kind import AnswerKind, asked_kind, names_kind

PERSON, QUANTITY, TIME, PLACE = (AnswerKind.PERSON, AnswerKind.QUANTITY, AnswerKind.TIME,
                                 AnswerKind.PLACE)


@pytest.mark.parametrize(("question", "kind"), [
    ("Who is the Iraqi spokesman who denied that joint operations resumed?", PERSON),
    ("Which official announced the pause?", PERSON),
    ("How many American troops were wounded?", QUANTITY),
    ("What percentage of voters turned out?", QUANTITY),
    ("When did the coalition pause its operations?", TIME),
    ("In what year did the coalition arrive in Iraq?", TIME),
    ("Whom did the envoy meet?", PERSON),
    ("Where did Pompeo speak?", PLACE),
    ("Have joint operations resumed?", None),
    ("Why did Iraq ban the operations?", None),
])
def test_asked_kind(question: str, kind: AnswerKind | None) -> None:
    assert asked_kind(question) is kind


WHO = "Who is the spokesman who denied it?"


@pytest.mark.parametrize(("sentence", "names"), [
    ('"We have not given our authorisation," said Abdulkarim Khalaf.', True),
    ("Secretary of State Mike Pompeo said Monday that leaders support it.", True),
    ("Esper and Army Gen. Mark Milley made clear they want Patriots.", True),
    ("A government spokesman denied reports on Thursday.", False),
    ("He said the government had ordered a halt.", False),
    ("The official said Monday that it was tense.", False),
    ("The party's nominee, former vice president Jane Ortiz, won.", True),
    ("Omar Haddad wins the vote to become the next mayor.", True),
    ("The Northern Alliance was formed in 2019.", False),
    ("The 2020 United States elections were held on Tuesday.", False),
])
def test_a_person_is_a_name_beside_a_title_or_a_verb(sentence: str, names: bool) -> None:
    assert names_kind(PERSON, sentence, WHO) is names


def test_a_name_the_question_already_holds_answers_nothing() -> None:
    assert not names_kind(PERSON, "Pompeo said it at a forum.", "Who did Pompeo meet?")
    assert names_kind(PERSON, "Pompeo said it, said Khalaf.", "Who did Pompeo meet?")


def test_a_quantity_is_a_number_that_is_not_a_date_or_in_the_question() -> None:
    question = "How many missiles struck the base on Jan. 8?"
    assert names_kind(QUANTITY, "At least 11 missiles struck the base.", question)
    assert names_kind(QUANTITY, "A dozen missiles struck.", question)
    assert not names_kind(QUANTITY, "Iran's Jan. 8 attack struck the base in 2020.", question)
    assert not names_kind(QUANTITY, "The attack on Jan. 8 hit hard.", question)


def test_a_time_is_a_date_word_the_question_does_not_hold() -> None:
    question = "When did the coalition pause operations?"
    assert names_kind(TIME, "The coalition paused operations on Jan. 5.", question)
    assert names_kind(TIME, "It paused them last week.", question)
    assert not names_kind(TIME, "The coalition paused operations.", question)
    assert not names_kind(TIME, "It paused on Monday.", "Why did it pause on Monday?")


def test_a_place_is_a_name_after_in_at_or_near() -> None:
    question = "Where did Pompeo say it?"
    assert names_kind(PLACE, "Pompeo said it at a forum at Stanford University.", question)
    assert not names_kind(PLACE, "Pompeo said it at a forum.", question)
    assert not names_kind(PLACE, "Pompeo said it to Pompeo.", question)
