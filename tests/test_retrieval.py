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


def _ferry_reports(kb: KnowledgeBase, folder: Path) -> None:
    folder.mkdir()
    for n in range(8):
        outlet = "Harbour Wire" if n % 2 else "Daily Post"
        (folder / f"a{n}.txt").write_text(
            f"Title: Ferry report {n}\nDate: 2021-03-0{n + 1}\nSource: {outlet}\n\n"
            f"The ferry timetable changed on day {n}, the harbour office said.\n",
            encoding="utf-8")
    kb.ingest([folder])


@pytest.fixture
def chroma_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, object]]:
    """Every vector query the store makes: graph searches (k, where) and direct comparisons."""
    calls: list[tuple[str, int, object]] = []
    nearest, similar = ChunkStore.nearest, ChunkStore.similar

    def recorded_nearest(self: ChunkStore, vector: list[float], k: int,
                         where: object = None) -> object:
        calls.append(("graph", k, where))
        return nearest(self, vector, k, where)

    def recorded_similar(self: ChunkStore, vector: list[float], ids: list[str],
                         k: int) -> object:
        calls.append(("direct", len(ids), None))
        return similar(self, vector, ids, k)

    monkeypatch.setattr(ChunkStore, "nearest", recorded_nearest)
    monkeypatch.setattr(ChunkStore, "similar", recorded_similar)
    return calls


QUESTION = "What did Harbour Wire report about the ferry timetable?"


def test_a_large_outlet_is_found_among_the_nearest_of_all(
        kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        chroma_calls: list[tuple[str, int, object]]) -> None:
    """In a large archive, an outlet holding many chunks has its dense ranking read from a
    wide unfiltered query (Chroma's metadata filter costs time in proportion to the
    archive), kept to that outlet's chunks."""
    _ferry_reports(kb, tmp_path / "news")
    monkeypatch.setattr(rag.retrieval, "FILTERED_MAX", 0)
    monkeypatch.setattr(rag.retrieval, "EXACT_MAX", 0)
    hits = kb.search(QUESTION, 3)
    assert chroma_calls and all(kind == "graph" and where is None
                                for kind, _, where in chroma_calls)
    assert max(k for _, k, _ in chroma_calls) > kb.settings.retrieval.candidates
    assert {hit.chunk.outlet for hit in hits} == {"Harbour Wire"}


def test_a_small_outlet_in_a_large_archive_is_compared_directly(
        kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        chroma_calls: list[tuple[str, int, object]]) -> None:
    _ferry_reports(kb, tmp_path / "news")
    monkeypatch.setattr(rag.retrieval, "FILTERED_MAX", 0)
    hits = kb.search(QUESTION, 3)
    assert ("direct", 4, None) in chroma_calls  # the outlet's four chunks
    assert all(where is None for _, _, where in chroma_calls)
    assert {hit.chunk.outlet for hit in hits} == {"Harbour Wire"}
    assert [hit.chunk.outlet for hit in kb.search("ferry timetable", 8)].count(
        "Daily Post") == 4  # the unfiltered ranking still sees every outlet


def test_a_small_archive_uses_chromas_filter(
        kb: KnowledgeBase, tmp_path: Path,
        chroma_calls: list[tuple[str, int, object]]) -> None:
    _ferry_reports(kb, tmp_path / "news")
    kb.search(QUESTION, 3)
    assert {"outlet": {"$in": ["Harbour Wire"]}} in [where for _, _, where in chroma_calls]


@pytest.mark.parametrize("exact_max", [0, 2_000], ids=["wide", "direct"])
def test_as_of_and_sources_in_a_large_archive_keep_to_what_they_admit(
        kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        chroma_calls: list[tuple[str, int, object]], exact_max: int) -> None:
    """Without Chroma's filter, the dense ranking admits what the filter admits: dated on
    or before the as-of day (undated chunks left out), of the given sources."""
    from datetime import date

    folder = tmp_path / "news"
    _ferry_reports(kb, folder)
    (folder / "undated.txt").write_text(
        "Title: Ferry report, undated\nSource: Daily Post\n\n"
        "The ferry timetable changed again, the harbour office said.\n", encoding="utf-8")
    kb.ingest([folder])
    monkeypatch.setattr(rag.retrieval, "FILTERED_MAX", 0)
    monkeypatch.setattr(rag.retrieval, "EXACT_MAX", exact_max)
    dense = kb.retriever._dense  # the dense ranking alone, as the fusion receives it
    vector = kb.embedder.embed_query("ferry timetable")

    chunks = dense(vector, 40, date(2021, 3, 3), None, None)
    assert sorted(chunk.published for chunk in chunks) == [
        "2021-03-01", "2021-03-02", "2021-03-03"]
    chunks = dense(vector, 40, None, ["a5.txt", "undated.txt"], None)
    assert sorted(chunk.source for chunk in chunks) == ["a5.txt", "undated.txt"]
    chunks = dense(vector, 40, date(2021, 3, 8), None, ["Daily Post"])
    assert sorted(chunk.source for chunk in chunks) == ["a0.txt", "a2.txt", "a4.txt", "a6.txt"]
    assert dense(vector, 40, date(2020, 1, 1), None, None) == []
    assert all(where is None for _, _, where in chroma_calls)
    kinds = {kind for kind, _, _ in chroma_calls}
    assert kinds == ({"graph"} if exact_max == 0 else {"direct"})
