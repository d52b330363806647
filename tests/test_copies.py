"""Syndicated copies: the same story under several outlets is one group, cited once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rag.copies import CopyIndex
from rag.knowledge_base import KnowledgeBase
from rag.settings import Settings

STORY = (
    "Oil from the tanker Kestrel spread across the harbour on Sunday after the ship struck "
    "the breakwater in heavy fog, the port authority said. Ferries to the islands were halted "
    "and fishing boats were told to stay in port while crews laid floating booms around the "
    "spill. The authority said about 40 tonnes of fuel oil had leaked from a damaged tank and "
    "that the crew of 22 was safe. Environmental groups warned that the oil could reach the "
    "salt marshes north of the town, where thousands of migrating birds rest in spring. The "
    "harbour master said divers would inspect the hull on Monday before the tanker is towed "
    "to a repair yard.")
OTHERS = {
    "frost.txt": (
        "Farm Daily", "2021-04-20",
        "A late frost damaged apple blossom across the valley overnight, growers said on "
        "Tuesday, the third hard frost of a cold spring. The fruit cooperative expects a "
        "harvest about a third smaller than last year's and higher prices in the autumn. "
        "Some growers ran wind machines and lit braziers through the night to keep the air "
        "moving over the trees, but temperatures fell to minus four degrees before dawn. "
        "The regional farm office said it would survey the damage this week."),
    "election.txt": (
        "City Post", "2021-05-06",
        "Voters in the city elected a new council on Thursday, with turnout of 41 percent, "
        "up from 35 percent four years ago. The Green list won nine of the 30 seats and will "
        "be the largest group for the first time. Counting ran late into the night after "
        "two polling stations reported problems with their scanners, the elections office "
        "said. The new council meets for the first time next month to choose a mayor."),
}


def article(folder: Path, name: str, outlet: str, day: str, text: str) -> None:
    (folder / name).write_text(f"Title: {text.split(',')[0][:60]}\nDate: {day}\n"
                               f"Source: {outlet}\n\n{text}\n")


def syndicated(folder: Path) -> Path:
    folder.mkdir()
    article(folder, "wire.txt", "Port Wire", "2021-05-02", STORY)
    article(folder, "coast.txt", "Coast Herald", "2021-05-02",
            "(Reuters) - " + STORY.replace("heavy fog", "thick fog") + " Reporting by staff.")
    article(folder, "daily.txt", "Island Daily", "2021-05-03",
            STORY.rsplit(" The harbour master", 1)[0].replace("Sunday", "Sunday morning"))
    for name, (outlet, day, text) in OTHERS.items():
        article(folder, name, outlet, day, text)
    return folder


def test_copies_are_one_group_and_other_stories_their_own(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    kb = KnowledgeBase(make_settings(llm={"backend": "extractive"}))
    kb.ingest([syndicated(tmp_path / "news")])

    copies = {record.source: set(record.copies) for record in kb.documents()}

    assert copies == {"wire.txt": {"coast.txt", "daily.txt"},
                      "coast.txt": {"wire.txt", "daily.txt"},
                      "daily.txt": {"wire.txt", "coast.txt"},
                      "frost.txt": set(), "election.txt": set()}
    groups = kb.store.copies.groups(list(copies))
    assert len(set(groups.values())) == 3


def test_a_question_cites_one_copy_names_the_others_and_finds_no_conflict(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    kb = KnowledgeBase(make_settings(llm={"backend": "extractive"}))
    kb.ingest([syndicated(tmp_path / "news")])

    hits = kb.search("tanker Kestrel oil harbour ferries halted", k=5)
    assert len({h.chunk.source for h in hits} & {"wire.txt", "coast.txt", "daily.txt"}) == 1

    answer = kb.ask("How much fuel oil leaked from the tanker Kestrel?").as_dict()

    assert not answer["refused"] and answer["conflicts"] == []
    cited = {c["source"] for c in answer["citations"]}
    assert len(cited & {"wire.txt", "coast.txt", "daily.txt"}) == 1
    [source] = cited
    carriers = {c["source"]: c["outlet"] for c in answer["citations"][0]["copies"]}
    assert carriers.keys() == {"wire.txt", "coast.txt", "daily.txt"} - {source}
    assert "The same report also ran in" in answer["answer"]
    assert all(outlet in answer["answer"] for outlet in carriers.values())


def test_a_changed_copy_leaves_its_group_and_a_deleted_one_is_forgotten(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    kb = KnowledgeBase(make_settings())
    folder = syndicated(tmp_path / "news")
    kb.ingest([folder])
    article(folder, "daily.txt", "Island Daily", "2021-05-03", OTHERS["election.txt"][2])
    kb.ingest([folder])
    kb.delete("coast.txt")

    copies = {record.source: set(record.copies) for record in kb.documents()}

    assert copies["daily.txt"] == {"election.txt"} and copies["wire.txt"] == set()


def test_short_texts_are_never_copies(tmp_path: Path) -> None:
    index = CopyIndex(tmp_path / "copies.sqlite3", threshold=0.3)
    small = "Millbrook has a population of 12,000 people. Its mayor opened a library."
    large = "Millbrook has a population of 30,000 people. Its mayor opened a library."
    assert index.add("small.txt", "k", small) == "small.txt"
    assert index.add("large.txt", "k", large) == "large.txt"
    assert index.add("again.txt", "k", STORY) == "again.txt"
    assert index.add("copy.txt", "k", STORY) == "again.txt"
