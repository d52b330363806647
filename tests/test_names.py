"""Names as the articles write them."""

from __future__ import annotations

from rag.names import full_name, runs


def test_runs_stop_at_sentence_ends_but_not_at_initials() -> None:
    assert runs("OpenAI fired Sam Altman. Altman is back. John J. Ray III said so.") == [
        ("OpenAI",), ("Sam", "Altman"), ("Altman",), ("John", "J.", "Ray", "III")]
    assert runs("The Federal Reserve held rates. But Powell spoke.") == [
        ("Federal", "Reserve"), ("Powell",)]


def test_a_shortened_name_is_the_name_the_articles_first_give() -> None:
    texts = ["Alameda Research took on losses.", "Executives at Alameda Research said so.",
             "Alameda traded on FTX."]
    assert full_name("Alameda", texts) == "Alameda Research"
    assert full_name("Ray", ["John J. Ray III said it. John J. Ray III runs FTX now."]) == \
        "John J. Ray III"


def test_a_name_first_written_alone_or_not_a_name_stays() -> None:
    texts = ["Ireland beat them.", "Ireland won again.", "Northern Ireland lost."]
    assert full_name("Ireland", texts) == "Ireland"
    assert full_name("Khalaf", ["Abdulkarim Khalaf denied it.", "said Khalaf."]) == "Khalaf"
    assert full_name("bettors", ["Bettors Club members bet."]) == "bettors"
    assert full_name("Acme", ["Nothing about it."]) == "Acme"
    # a title before the name is not part of it
    assert full_name("Caroline Ellison", ["Alameda CEO Caroline Ellison testified."]) == \
        "Caroline Ellison"
    assert full_name("Carter", ["Former President Jimmy Carter died."]) == "Jimmy Carter"


def test_the_first_mention_decides_not_the_count() -> None:
    article = "Alameda Research lost money. Alameda traded. Alameda paid. Alameda left."
    assert full_name("Alameda", [article]) == "Alameda Research"
    assert full_name("Ireland", ["Ireland won. Fans in Northern Ireland cheered."]) == \
        "Ireland"


def test_initials_are_spelled_out_as_the_articles_spell_them() -> None:
    texts = ["SBF trial: Sam Bankman-Fried is in court.", "Sam Bankman-Fried testified."]
    assert full_name("SBF", texts) == "Sam Bankman-Fried"
    assert full_name("FTX", ["FTX collapsed. Sam Bankman-Fried ran FTX."]) == "FTX"
    # two names with the same initials in as many articles: left as written
    assert full_name("JR", ["John Ray spoke.", "Jane Roe spoke."]) == "JR"
