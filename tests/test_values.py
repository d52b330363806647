"""Answer values: shapes, sameness, and rival values in other passages."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.values import comparable, counterparts, rivals, same_value, shape_of
from tests.test_citations import passage


@pytest.mark.parametrize(("answer", "shape"), [
    ("December 1, 2017", "date"), ("1 Dec 2017", "date"), ("June 2020", "date"),
    ("September 22, 1804", "date"), ("2045", "year"), ("1862", "year"),
    ("$1.65 billion", "amount"), ("3,292", "amount"), ("40%", "amount"),
    ("3,292 people", "amount"), ("James Cameron", "name"), ("Bank of England", "name"),
    ("Aguadilla, Puerto Rico", "name"), ("golf", "words"), ("American football", "words"),
    ("TV series", "words"), ("the new stadium in town", None),
])
def test_shape_of(answer: str, shape: str | None) -> None:
    assert shape_of(answer) == shape


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Joe Biden", "Biden", True),
    ("3,292 people", "3292", True),
    ("Dec 1, 2017", "1 December 2017", True),
    ("yes", "Yes", True),
    ("12,000", "30,000", False),
    ("December 1, 2017", "November 8, 2021", False),
    ("Golf", "Tennis", False),
    ("Joe Burrow", "Justin Fields", False),
    ("$1.65 billion", "$10.65 billion", False),
])
def test_same_value(a: str, b: str, same: bool) -> None:
    assert same_value(a, b) is same


Q = "Who directed the film Titanic?"


def test_a_passage_about_the_question_that_names_someone_else_is_a_rival() -> None:
    stated = passage(1, "Titanic is a film directed by James Cameron.", "a.txt", None)
    swapped = passage(2, "The film Titanic was directed by Joss Whedon in 1997.", "b.txt", None)
    aside = passage(3, "Leonardo DiCaprio starred in many films.", "c.txt", None)
    found = rivals("James Cameron", Q, [stated, swapped, aside], exclude={1})
    assert [(r.value, r.passage.n) for r in found] == [("Joss Whedon", 2)]


def test_no_rival_where_the_passage_states_the_answer_or_is_about_something_else() -> None:
    both = passage(2, "Titanic was directed by James Cameron and produced by Jon Landau.",
                   "b.txt", None)
    other = passage(3, "Avatar, by Joss Whedon, opened in December.", "c.txt", None)
    assert rivals("James Cameron", Q, [both, other], exclude=set()) == []
    assert rivals("yes", "Did Cameron direct Titanic?", [both], exclude=set()) == []


def test_of_several_values_the_one_in_the_answers_place_is_the_rival() -> None:
    stated = "Titanic is a 1997 film directed by James Cameron."
    swapped = passage(2, "Produced by Jon Landau, the film Titanic was directed by Joss Whedon.",
                      "b.txt", None)
    assert [r.value for r in rivals("James Cameron", Q, [swapped], set(), [stated])] == [
        "Joss Whedon"]
    # Names far from the answer's place and from the question's words are no rivals.
    aside = passage(3, "Titanic, the film that was directed by many, later made Kate Winslet "
                       "and Leonardo DiCaprio stars.", "c.txt", None)
    assert rivals("James Cameron", Q, [aside], set(), [stated]) == []


def test_a_title_before_a_name_at_the_start_of_a_sentence_is_not_part_of_it() -> None:
    swapped = passage(2, "Director Stanley Kubrick made Titanic, the film, in Malta.", "b.txt",
                      None)
    assert [r.value for r in rivals("James Cameron", Q, [swapped], set())] == ["Stanley Kubrick"]


def test_a_long_name_is_cut_to_the_answers_length() -> None:
    q = "Which city hosted the Olympic Games in 2012?"
    stated = ["Beijing hosted the Olympic Games in 2012."]
    swapped = passage(2, "In 2012 London Olympic Games Park hosted the Olympic Games.", "b.txt",
                      None)
    assert [r.value for r in rivals("Beijing", q, [swapped], set(), stated)] == ["London"]


def test_a_plain_word_in_the_answers_place_is_a_rival() -> None:
    q = "What sport is the Belgian Open associated with?"
    stated = ["The Belgian Open is a professional tennis tournament held in Antwerp."]
    golf = passage(2, "The Belgian Open is a professional golf tournament on the European Tour.",
                   "b.txt", None)
    assert [r.value for r in rivals("Tennis", q, [golf], set(), stated)] == ["golf"]
    loose = passage(3, "The Belgian Open drew large crowds from across the region.", "c.txt",
                    None)
    assert rivals("Tennis", q, [loose], set(), stated) == []


def test_rival_dates_and_amounts() -> None:
    q = "When was Xenoblade Chronicles 2 released?"
    swapped = passage(2, "Xenoblade Chronicles 2 was released on November 8, 2021.", "b.txt",
                      None)
    stating = ["Xenoblade Chronicles 2 was released on December 1, 2017, for the Switch."]
    assert [r.value for r in rivals("December 1, 2017", q, [swapped], set(), stating)] == [
        "November 8, 2021"]
    q = "How much did Google pay to acquire YouTube?"
    swapped = passage(3, "In 2006 Google agreed to acquire YouTube for $10.65 billion.", "c.txt",
                      None)
    stating = ["Google bought YouTube for $1.65 billion in stock."]
    assert [r.value for r in rivals("$1.65 billion", q, [swapped], set(), stating)] == [
        "$10.65 billion"]


def test_a_statement_restated_with_another_value() -> None:
    from rag.values import restates

    crown = ("The fourth season of The Crown, which follows the life of Queen Elizabeth II, "
             "was released by Netflix on {}.")
    assert restates(crown.format("15 November 2020"), "15 November 2020",
                    crown.format("November 15, 2012"), "November 15, 2012")
    # Other words around the value, or another number beside it: another statement.
    assert not restates("The storm killed 30 people in Manila on Monday, officials said.", "30",
                        "A storm killed 25 people in Cebu on Monday, police said.", "25")
    assert not restates("In 2019 the storm killed 30 people in the city, officials said.", "30",
                        "In 2018 the storm killed 25 people in the city, officials said.", "25")
    assert not restates("Rates rose to 4 percent.", "4", "Rates rose to 5 percent.", "5")


def test_the_counterpart_of_the_stating_passage_comes_before_a_closer_mention() -> None:
    q = "Which city hosted the Olympic Games in 2012?"
    stating = ["In 2012 London became the first city to host the modern Games three times."]
    mention = passage(2, "A look back at the 2012 Beijing Olympic Games and their hosts.",
                      "b.txt", None)
    copy = replace(passage(3, "In 2012 Paris became the first city to host the modern Games "
                              "three times.", "c.txt", None), relevance=0.5)
    # The rival judged by its neighbours is the mention; the copy with another value in the
    # answer's place is the counterpart.
    assert [r.value for r in rivals("London", q, [mention, copy], set(), stating, limit=1)] == [
        "Beijing"]
    assert [(r.value, r.passage.n) for r in counterparts("London", stating, [mention, copy],
                                                         set())] == [("Paris", 3)]
    assert counterparts("London", stating, [copy], exclude={3}) == []
    assert counterparts("London", stating, [mention], set()) == []


def test_comparable_answers_are_both_numbers_or_neither() -> None:
    assert comparable("January 10, 1901", "December 14, 1846")
    assert comparable("3,292 people", "533")
    assert comparable("actor", "freelance broadcaster")
    assert not comparable("January 10, 1901", "New York City")
    assert not comparable("Tennis", "1985")
