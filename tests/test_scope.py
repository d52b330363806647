"""Whether the articles shown for a question speak of what it asks (`rag.scope`)."""

from __future__ import annotations

from rag.scope import MIN_MISSING, asked_terms, is_open, missing_terms, speaks_of
from rag.terms import terms

ARTICLE = set(terms(
    "Letitia Dean lost weight before her EastEnders wedding scenes, the soap's star said "
    "on Tuesday, thanking viewers for their support."))


def test_a_question_whose_words_the_articles_lack_is_not_spoken_of() -> None:
    question = ("In what ways did Letitia Dean's theater performances reflect her versatility "
                "as a performer beyond television?")
    missing, share = missing_terms(question, ARTICLE)
    assert {"theater", "versatility"} <= missing and share < 0.4
    assert not speaks_of(question, ARTICLE)


def test_a_question_in_the_articles_words_is_spoken_of() -> None:
    assert speaks_of("What did Letitia Dean say about her weight before the wedding scenes?",
                     ARTICLE)


def test_one_or_two_paraphrased_words_never_decide() -> None:
    # "film" and "starring" against "movie" and "stars": most of a short question missing.
    held = set(terms("Liu Yifei stars as Mulan in the Disney film."))
    question = "Who is starring as Mulan in the movie?"
    missing, share = missing_terms(question, held)
    assert share < 0.4 and len(missing) < MIN_MISSING
    assert speaks_of(question, held)


def test_words_about_the_articles_and_numbers_are_not_asked_about() -> None:
    asked = asked_terms("What specific ways did the Fortune article report on the 2023 trial?")
    assert asked == set(terms("Fortune trial"))


def test_open_questions_ask_how_why_or_in_what_ways() -> None:
    assert is_open("In what ways did the strike change the talks?")
    assert is_open("How did Apple decide on the price?")
    assert is_open("Why did the coalition pause its operations?")
    assert is_open("According to the Pentagon, how were the troops hurt?")
    assert not is_open("How many troops were wounded?")
    assert not is_open("How long did the pause last?")
    assert not is_open("What beverage is synonymous with Juneteenth?")
    assert not is_open("Which small intruder crawled through a fence at the White House?")
