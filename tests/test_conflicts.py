from rag.conflicts import find_conflicts
from tests.test_citations import passage

DENIAL = "An Iraqi spokesman denied reports that joint operations with the coalition had resumed."
RESUMED = "Joint operations with the coalition have resumed after a pause, the Iraqi military said."


def test_denial_then_confirmation_is_a_conflict_with_the_newer_side_last() -> None:
    older = passage(1, DENIAL, "old.txt", "2020-01-16")
    newer = passage(2, RESUMED, "new.txt", "2020-01-30")
    [conflict] = find_conflicts([newer, older], min_relevance=0.3)
    assert (conflict.older.source, conflict.newer.source) == ("old.txt", "new.txt")
    assert conflict.as_dict()["sources"] == ["old.txt", "new.txt"]
    assert "2020-01-30 report is more recent" in conflict.note()


def test_agreeing_sources_are_no_conflict() -> None:
    a = passage(1, RESUMED, "a.txt", "2020-01-16")
    b = passage(2, "Operations with the coalition resumed, Iraqi officials said.", "b.txt",
                "2020-01-30")
    assert find_conflicts([a, b], min_relevance=0.3) == []


def test_same_article_or_same_day_is_no_conflict() -> None:
    assert find_conflicts([passage(1, DENIAL, "a.txt", "2020-01-16"),
                           passage(2, RESUMED, "a.txt", "2020-01-30")], 0.3) == []
    assert find_conflicts([passage(1, DENIAL, "a.txt", "2020-01-16"),
                           passage(2, RESUMED, "b.txt", "2020-01-16")], 0.3) == []


def test_unrelated_negation_is_no_conflict() -> None:
    a = passage(1, "The weather office did not expect rain in Baghdad.", "a.txt", "2020-01-16")
    b = passage(2, RESUMED, "b.txt", "2020-01-30")
    assert find_conflicts([a, b], 0.3) == []


def test_a_conflict_concerns_its_sides_and_what_their_articles_say_alike() -> None:
    older = passage(1, DENIAL, "old.txt", "2020-01-16")
    newer = passage(2, RESUMED, "new.txt", "2020-01-30")
    [conflict] = find_conflicts([older, newer], min_relevance=0.3)
    restated = passage(3, "The Iraqi military statement said joint operations with the coalition "
                          "had resumed.", "new.txt", "2020-01-30")
    assert conflict.concerns(older) and conflict.concerns(newer) and conflict.concerns(restated)
    elsewhere = passage(4, restated.text, "third.txt", "2020-01-30")
    unrelated = passage(5, "Iran's missile attack wounded 50 American troops.", "new.txt",
                        "2020-01-30")
    assert not conflict.concerns(elsewhere) and not conflict.concerns(unrelated)
