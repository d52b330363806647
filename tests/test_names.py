"""Names as the articles write them."""

from __future__ import annotations

from rag.names import full_name, runs


def test_runs_stop_at_sentence_ends_but_not_at_initials() -> None:
    assert runs("OpenAI fired Sam Altman. Altman is back. John J. Ray III said so.") == [
        ("OpenAI",), ("Sam", "Altman"), ("Altman",), ("John", "J.", "Ray", "III")]
    assert runs("The Federal Reserve held rates. But Powell spoke.") == [
        ("Federal", "Reserve"), ("Powell",)]


def test_a_shortened_name_is_the_name_the_texts_mostly_write() -> None:
    texts = ["Alameda Research took on losses.", "Executives at Alameda Research said so.",
             "Alameda traded on FTX."]
    assert full_name("Alameda", texts) == "Alameda Research"
    assert full_name("Ray", ["John J. Ray III said it. John J. Ray III runs FTX now."]) == \
        "John J. Ray III"


def test_a_name_mostly_written_alone_or_not_a_name_stays() -> None:
    texts = ["Ireland beat them.", "Ireland won again.", "Northern Ireland lost."]
    assert full_name("Ireland", texts) == "Ireland"
    assert full_name("Khalaf", ["Abdulkarim Khalaf denied it.", "said Khalaf."]) == "Khalaf"
    assert full_name("bettors", ["Bettors Club members bet."]) == "bettors"
    assert full_name("Acme", ["Nothing about it."]) == "Acme"
