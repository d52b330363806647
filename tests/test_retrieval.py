"""Hybrid retrieval: reading the question (outlets, periods, topic), fusion, outlet rankings."""

from __future__ import annotations

from pathlib import Path

import pytest

import rag.retrieval
from rag.knowledge_base import KnowledgeBase
from rag.retrieval import fuse, mentioned_outlets, mentioned_periods, outlet_aliases, topic_query
from rag.store import ChunkStore

OUTLETS = ["The Verge", "Fortune", "SpaceWar.com (AFP)", "Cnbc | World Business News Leader"]


def test_outlet_aliases_cover_the_short_names_questions_use() -> None:
    assert {"the verge", "verge"} <= outlet_aliases("The Verge")
    assert {"spacewar", "afp"} <= outlet_aliases("SpaceWar.com (AFP)")
    assert "cnbc" in outlet_aliases("Cnbc | World Business News Leader")


def test_mentioned_outlets_match_whole_names_only() -> None:
    question = "Does the article from The Verge agree with Fortune and the AFP report?"
    assert mentioned_outlets(question, OUTLETS) == ["Fortune", "SpaceWar.com (AFP)", "The Verge"]
    assert mentioned_outlets("Is fortunetelling news?", OUTLETS) == []


def test_mentioned_periods_are_date_prefixes() -> None:
    assert mentioned_periods("What did Fortune report on October 4, 2023?") == ["2023-10-04"]
    assert mentioned_periods("Which deals ran in November 2023?") == ["2023-11"]
    assert mentioned_periods("Who won?") == []


def test_topic_query_drops_outlets_and_framing_but_keeps_the_topic() -> None:
    question = ("Does 'The Verge' article suggest that FTX grew too fast, "
                "while the report by Fortune blames fraud?")
    topic = topic_query(question, ["The Verge", "Fortune"])
    assert "Verge" not in topic and "Fortune" not in topic and "article" not in topic
    assert "FTX grew too fast" in topic and "blames fraud" in topic
    assert topic_query("How many troops does the AFP report?", ["SpaceWar.com (AFP)"]) == \
        "How many troops does ?"


def test_topic_query_of_nothing_but_an_outlet_is_the_question() -> None:
    assert topic_query("The Verge", ["The Verge"]) == "The Verge"


def test_fuse_adds_weighted_reciprocal_ranks() -> None:
    scores = fuse([(1.0, ["a", "b"]), (1.0, ["b", "c"])])
    assert list(scores) == ["b", "a", "c"]
    assert scores["b"] == 1 / 61 + 1 / 62 and scores["c"] == 1 / 62
    # Down-weighted, a ranking cannot overturn an equal-rank disagreement.
    assert list(fuse([(0.5, ["x", "y"]), (1.0, ["y", "x"])])) == ["y", "x"]
    assert list(fuse([(0.0, ["x"]), (1.0, ["y"])]))[0] == "y"


def test_questions_about_what_sources_said() -> None:
    from rag.retrieval import asks_about_sources

    assert asks_about_sources("Did The Verge say FTX grew too fast?", OUTLETS)
    assert asks_about_sources("According to the article, who won?", OUTLETS)
    assert not asks_about_sources("Have joint operations resumed?", OUTLETS)


def test_a_large_outlet_is_found_among_the_nearest_of_all(
        kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above FILTERED_MAX chunks, an outlet's dense ranking is read from a wide unfiltered
    query (Chroma's metadata filter costs time in proportion to the archive), kept to
    that outlet's chunks."""
    folder = tmp_path / "news"
    folder.mkdir()
    for n in range(8):
        outlet = "Harbour Wire" if n % 2 else "Daily Post"
        (folder / f"a{n}.txt").write_text(
            f"Title: Ferry report {n}\nDate: 2021-03-0{n + 1}\nSource: {outlet}\n\n"
            f"The ferry timetable changed on day {n}, the harbour office said.\n",
            encoding="utf-8")
    kb.ingest([folder])
    queries: list[tuple[int, object]] = []
    nearest = ChunkStore.nearest

    def recorded(self: ChunkStore, vector: list[float], k: int, where: object = None) -> object:
        queries.append((k, where))
        return nearest(self, vector, k, where)

    monkeypatch.setattr(ChunkStore, "nearest", recorded)
    monkeypatch.setattr(rag.retrieval, "FILTERED_MAX", 0)
    hits = kb.search("What did Harbour Wire report about the ferry timetable?", 3)
    assert queries and all(where is None for _, where in queries)
    assert max(k for k, _ in queries) > kb.settings.retrieval.candidates
    assert {hit.chunk.outlet for hit in hits} == {"Harbour Wire"}
    queries.clear()
    monkeypatch.setattr(rag.retrieval, "FILTERED_MAX", 20_000)  # a small outlet: filtered
    kb.search("What did Harbour Wire report about the ferry timetable?", 3)
    assert {"outlet": {"$in": ["Harbour Wire"]}} in [where for _, where in queries]
