from dataclasses import replace

from rag.conflicts import NOTE_START, Claim, find_conflicts, of_claims
from tests.test_citations import passage

DENIAL = "An Iraqi spokesman denied reports that joint operations with the coalition had resumed."
RESUMED = "Joint operations with the coalition have resumed after a pause, the Iraqi military said."


def test_denial_then_confirmation_is_an_update_with_the_newer_side_last() -> None:
    older = passage(1, DENIAL, "old.txt", "2020-01-16")
    newer = passage(2, RESUMED, "new.txt", "2020-01-30")
    [conflict] = find_conflicts([newer, older], min_relevance=0.3)
    assert conflict.kind == "update" and conflict.passages == [older, newer]
    data = conflict.as_dict()
    assert data["sources"] == ["old.txt", "new.txt"] and data["newest"] == "new.txt"
    assert [(c["source"], c["published"], c["quote"]) for c in data["claims"]] == [
        ("old.txt", "2020-01-16", DENIAL), ("new.txt", "2020-01-30", RESUMED)]
    note = conflict.note()
    assert f'on 2020-01-16, an article titled "T" reported "{DENIAL}" [1]' in note
    assert "The 2020-01-30 report is the most recent." in note


def test_a_side_is_named_by_its_outlet_and_else_as_a_titled_article() -> None:
    older = passage(1, DENIAL, "old.txt", "2020-01-16")
    older = replace(older, chunk=replace(older.chunk, outlet="SpaceWar.com (AFP)"))
    newer = passage(2, RESUMED, "new.txt", "2020-01-30")
    note = of_claims([Claim(older), Claim(newer)]).note()
    assert f'on 2020-01-16, SpaceWar.com (AFP) reported "{DENIAL}" [1]' in note
    assert f'on 2020-01-30, an article titled "T" reported "{RESUMED}" [2]' in note


def test_undated_values_are_a_contradiction_with_no_newest() -> None:
    small = passage(1, "The town has a population of 12,000.", "a.txt", None)
    large = passage(2, "Some 30,000 people live in the town.", "b.txt", None)
    conflict = of_claims([Claim(large, "30,000"), Claim(small, "12,000")])
    assert conflict.kind == "contradiction" and conflict.newest is None
    assert conflict.as_dict()["newest"] is None
    assert [c["value"] for c in conflict.as_dict()["claims"]] == ["30,000", "12,000"]
    note = conflict.note()
    assert "gives 30,000" in note and "gives 12,000" in note and "[1]" in note
    assert "not dated" in note and "most recent" not in note


def test_dated_values_name_the_newest_and_same_day_does_not() -> None:
    old = passage(1, "The death toll stood at 12.", "a.txt", "2023-02-06")
    new = passage(2, "The death toll rose to 30.", "b.txt", "2023-02-08")
    update = of_claims([Claim(new, "30"), Claim(old, "12")])
    assert update.kind == "update" and update.newest == Claim(new, "30")
    same_day = of_claims([Claim(old, "12"), Claim(passage(3, new.text, "c.txt", "2023-02-06"),
                                                  "30")])
    assert same_day.kind == "contradiction" and same_day.newest is None
    assert "same day" in same_day.note()


def test_same_name_says_which_is_which() -> None:
    golf = passage(1, "The Belgian Open is a men's golf tournament.", "a.txt", None)
    tennis = passage(2, "The Belgian Open was a tennis tournament in Brussels.", "b.txt", None)
    conflict = of_claims([Claim(golf, "golf"), Claim(tennis, "tennis")], same_name=True)
    assert conflict.kind == "same_name" and conflict.newest is None
    note = conflict.note()
    assert note.startswith("Different things share this name:")
    assert f'golf for "{golf.text}" [1]' in note and f'tennis for "{tennis.text}" [2]' in note


def test_every_kind_of_note_starts_where_answer_claims_end() -> None:
    a, b = passage(1, DENIAL, "a.txt", "2020-01-16"), passage(2, RESUMED, "b.txt", "2020-01-30")
    for conflict in (of_claims([Claim(a), Claim(b)]), of_claims([Claim(a, "x"), Claim(b, "y")],
                                                                same_name=True),
                     of_claims([Claim(a, "x"), Claim(passage(3, RESUMED, "c.txt", None), "y")])):
        assert NOTE_START.match(conflict.note()), conflict.kind




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


def test_a_quoted_denial_names_its_report_as_a_side_of_a_conflict_does() -> None:
    from rag.prompting import render

    denial = passage(1, DENIAL, "old.txt", "2020-01-16")
    assert render("denial_quote", p=denial).strip() \
        == f'On 2020-01-16, an article titled "T" reported "{DENIAL}" [1].'
    denial = replace(denial, chunk=replace(denial.chunk, outlet="SpaceWar.com (AFP)"))
    assert render("denial_quote", p=denial).strip() \
        == f'On 2020-01-16, SpaceWar.com (AFP) reported "{DENIAL}" [1].'
