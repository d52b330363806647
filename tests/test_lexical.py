"""The lexical index: updated with each write, shared between processes, consistent under load."""

from __future__ import annotations

import math
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from rag.copies import CopyIndex
from rag.knowledge_base import KnowledgeBase
from rag.lexical import Holding, LexicalIndex
from rag.postings import Postings
from rag.records import StoredChunk
from rag.settings import Settings
from rag.terms import terms


def chunk(source: str, text: str, key: str = "k1", n: int = 0, published: str | None = None,
          outlet: str | None = None) -> StoredChunk:
    return StoredChunk(source=source, path=f"/x/{source}", title=f"About {source}",
                       published=published, outlet=outlet, chunk=n, start=0, end=len(text),
                       sha256="0" * 64, key=key, total=1, embedding_model="hash", text=text)


def article(folder: Path, name: str, day: str, outlet: str, text: str) -> Path:
    path = folder / name
    path.write_text(f"Title: {name}\nDate: {day}\nSource: {outlet}\n\n{text}\n", encoding="utf-8")
    return path


def chroma_holdings(kb: KnowledgeBase) -> dict[str, Holding]:
    """What Chroma itself holds per source (not the store's record, which reads the index)."""
    keys: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for stored in kb.store.chunks():
        keys.setdefault(stored.source, set()).add(stored.key)
        counts[stored.source] = counts.get(stored.source, 0) + 1
    return {source: Holding(frozenset(keys[source]), counts[source]) for source in keys}


def test_scores_are_lucene_bm25(tmp_path: Path) -> None:
    """Checked by hand: idf = ln(1 + (N - n + .5) / (n + .5)), k1 1.5, b .75; a term the
    query repeats counts twice."""
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.add([chunk("a", "harbour harbour ferry"), chunk("b", "ferry storm"),
               chunk("c", "storm")])
    lengths = {"a": 3, "b": 2, "c": 1}  # titles add nothing: "about" is a stop word
    average = sum(lengths.values()) / 3
    idf_harbour = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))

    def part(idf: float, tf: int, length: int) -> float:
        return idf * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * length / average))

    (found, score), = index.search("harbour harbour", 1)
    assert found.source == "a"
    assert score == pytest.approx(2 * part(idf_harbour, 2, lengths["a"]))


def test_add_search_and_filter(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.add([chunk("a", "The council approved the harbour budget.", published="2021-03-01",
                     outlet="Wire"),
               chunk("b", "The harbour flooded after the storm.", published="2021-04-01",
                     outlet="Daily"),
               chunk("c", "A storm is coming, forecasters said.")])
    found = [c.source for c, _ in index.search("harbour storm", 5)]
    assert found[0] == "b" and set(found) == {"a", "b", "c"}
    scores = [score for _, score in index.search("harbour storm", 5)]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert [c.source for c, _ in index.search("harbour", 5, as_of=date(2021, 3, 15))] == ["a"]
    assert [c.source for c, _ in index.search("storm", 5, sources=["c"])] == ["c"]
    assert [c.source for c, _ in index.search("harbour", 5, outlets=["Daily"])] == ["b"]
    assert index.search("the", 5) == [] and index.search("volcano", 5) == []
    assert index.outlets() == ["Daily", "Wire"]
    index.delete_source("b")
    assert index.outlets() == ["Wire"]
    stored = index.search("budget", 1)[0][0]  # every field as it was written
    assert stored == chunk("a", "The council approved the harbour budget.",
                           published="2021-03-01", outlet="Wire")


def test_changes_touch_only_their_source(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.add([chunk("a", "Old figures: ten ferries."), chunk("b", "Ferries to the islands.")])
    index.add([chunk("a", "New figures: twelve ferries.", key="k2")])
    index.delete_source("a", keep_key="k2")
    assert index.holdings() == {"a": Holding(frozenset({"k2"}), 1),
                                "b": Holding(frozenset({"k1"}), 1)}
    assert [c.text for c, _ in index.search("figures", 5)] == ["New figures: twelve ferries."]
    assert index.search("ten", 5) == []
    index.delete_source("b")
    assert [c.source for c, _ in index.search("ferries", 5)] == ["a"]
    assert index.holdings(["b"]) == {} and index.count() == 1
    index.add([chunk("a", "New figures: twelve ferries.", key="k2")])  # again: one copy
    assert index.count() == 1


def test_terms_of_sources_hold_their_text_title_and_outlet(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.add([chunk("a", "Ferries resumed.", outlet="Harbour News"),
               chunk("a", "Islands cheered.", n=1), chunk("b", "Trains stopped.")])
    assert index.terms_of(["a"]) == set(terms("About a Harbour News ferries resumed islands "
                                              "cheered About a"))
    assert index.terms_of([]) == set()


def test_another_process_sees_each_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "lexical.sqlite3"
    index = LexicalIndex(path)
    index.add([chunk("a", "Placeholder text.")])
    script = ("import sys; from pathlib import Path; from rag.lexical import LexicalIndex\n"
              "index = LexicalIndex(Path(sys.argv[1]))\n"
              "for line in sys.stdin:\n"
              "    print(len(index.search(line, 5)), flush=True)\n")
    reader = subprocess.Popen([sys.executable, "-c", script, str(path)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert reader.stdin is not None and reader.stdout is not None

    def ask(query: str) -> int:
        reader.stdin.write(query + "\n")
        reader.stdin.flush()
        return int(reader.stdout.readline())

    try:
        assert ask("volcano") == 0
        index.add([chunk("v", "The volcano erupted overnight.")])
        assert ask("volcano") == 1
        index.delete_source("v")
        assert ask("volcano") == 0
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)


def test_ingest_updates_and_deletes_show_in_search(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    article(folder, "ferry.txt", "2021-03-01", "Wire", "The ferry service carried ten cars.")
    article(folder, "bridge.txt", "2021-03-02", "Daily", "The bridge opened to traffic.")
    kb.ingest([folder])
    assert [h.chunk.source for h in kb.search("ferry cars", 1)] == ["ferry.txt"]
    article(folder, "ferry.txt", "2021-03-05", "Wire", "The ferry service was suspended.")
    assert kb.ingest([folder]).updated == 1
    texts = [h.chunk.text for h in kb.search("ferry", 5)]
    assert any("suspended" in t for t in texts) and not any("ten cars" in t for t in texts)
    assert kb.lexical.holdings()["ferry.txt"].chunks == 1
    kb.delete("bridge.txt")
    assert "bridge.txt" not in {c.source for c, _ in kb.lexical.search("bridge traffic", 5)}
    assert kb.lexical.holdings().keys() == {"ferry.txt"}


def test_a_store_without_an_index_is_indexed_once(make_settings: Callable[..., Settings],
                                                  seeds: Path) -> None:
    settings = make_settings()
    KnowledgeBase(settings).ingest([seeds])
    for path in settings.data_dir.glob("lexical-*"):  # a store built before the index
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    kb = KnowledgeBase(settings)
    hits = kb.lexical.search("joint operations resumed", 3)
    assert hits and kb.lexical.count() == kb.store.count()


def test_killed_between_store_and_index_write_is_repaired(
        make_settings: Callable[..., Settings], seeds: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings()
    crashed = KnowledgeBase(settings)

    def killed(self: LexicalIndex, chunks: object) -> None:
        raise KeyboardInterrupt  # the process dies after Chroma took the chunks

    with monkeypatch.context() as patch:
        crashed.store.lexical()  # index opened before the crash
        patch.setattr(LexicalIndex, "add", killed)
        with pytest.raises(KeyboardInterrupt):
            crashed.ingest([seeds])
    kb = KnowledgeBase(settings)
    assert kb.store.count() > 0 and kb.lexical.count() == 0
    report = kb.ingest([seeds])
    assert report.unchanged == 0 and report.added == 2
    assert kb.lexical.count() == kb.store.count()
    assert kb.ingest([seeds]).unchanged == 2


def test_killed_between_index_and_store_delete_is_repaired(
        make_settings: Callable[..., Settings], seeds: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings()
    crashed = KnowledgeBase(settings)
    crashed.ingest([seeds])
    source = crashed.documents()[0].source

    def killed(self: CopyIndex, source: str) -> None:
        raise KeyboardInterrupt  # the process dies after the index let the chunks go

    with monkeypatch.context() as patch:
        patch.setattr(CopyIndex, "remove", killed)
        with pytest.raises(KeyboardInterrupt):
            crashed.delete(source)
    kb = KnowledgeBase(settings)
    assert source not in kb.lexical.holdings()
    assert source in {r.source for r in kb.documents()}  # still listed: a retry finishes it
    assert kb.ingest([seeds]).added == 1
    assert kb.lexical.holdings()[source] == chroma_holdings(kb)[source]
    assert kb.ingest([seeds]).unchanged == 2


def test_a_mid_write_mark_survives_a_write_of_other_sources(
        make_settings: Callable[..., Settings], seeds: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A source left half-written stays marked while other sources come and go, so its
    record is still read from Chroma when it is ingested again."""
    settings = make_settings()
    crashed = KnowledgeBase(settings)

    def killed(self: LexicalIndex, chunks: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        crashed.store.lexical()
        patch.setattr(LexicalIndex, "add", killed)
        with pytest.raises(KeyboardInterrupt):
            crashed.ingest([seeds])
    kb = KnowledgeBase(settings)
    marked = kb.lexical.unsettled()
    assert len(marked) == 2
    kb.ingest([article(tmp_path, "other.txt", "2021-02-01", "Wire", "The harbour council met.")])
    assert kb.lexical.unsettled() == marked
    assert {r.source for r in kb.documents()} >= marked  # listed from Chroma's record
    assert kb.ingest([seeds]).added == 2
    assert kb.lexical.unsettled() == set()
    assert kb.lexical.holdings() == chroma_holdings(kb)


def test_a_write_killed_after_both_halves_is_found_whole_and_settled(
        make_settings: Callable[..., Settings], seeds: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings()
    crashed = KnowledgeBase(settings)

    def killed(self: LexicalIndex, token: object, sources: object) -> None:
        raise KeyboardInterrupt  # both halves written, the mark not yet cleared

    with monkeypatch.context() as patch:
        patch.setattr(LexicalIndex, "settle", killed)
        with pytest.raises(KeyboardInterrupt):
            crashed.ingest([seeds])
    kb = KnowledgeBase(settings)
    assert len(kb.lexical.unsettled()) == 2
    assert kb.ingest([seeds]).unchanged == 2
    assert kb.lexical.unsettled() == set()


def test_an_index_from_before_the_marks_marks_what_differs(
        make_settings: Callable[..., Settings], seeds: Path) -> None:
    settings = make_settings()
    kb = KnowledgeBase(settings)
    kb.ingest([seeds])
    source = kb.documents()[0].source
    kb.lexical.delete_source(source)  # an older version's delete, killed half way
    with sqlite3.connect(kb.lexical.path) as connection:
        connection.execute("DELETE FROM facts WHERE name = 'settled'")
    fresh = KnowledgeBase(settings)
    assert fresh.lexical.unsettled() == {source}
    assert fresh.ingest([seeds]).added == 1
    assert fresh.lexical.holdings() == chroma_holdings(fresh)


def test_prune_drops_chunks_only_the_index_holds(kb: KnowledgeBase, seeds: Path) -> None:
    kb.ingest([seeds])
    kb.lexical.add([chunk("gone.txt", "An orphan left by an old store.")])
    assert kb.ingest([seeds], prune=True).unchanged == 2
    assert "gone.txt" not in kb.lexical.holdings()


def test_writes_during_filtered_searches_never_fail(kb: KnowledgeBase, tmp_path: Path) -> None:
    """Hundreds of filtered searches while sources are added, changed and deleted: no error,
    and every hit is one the filter admits."""
    folder = tmp_path / "news"
    folder.mkdir()
    for n in range(6):
        article(folder, f"steady{n}.txt", f"2021-02-0{n + 1}", f"Outlet {n % 2}",
                f"The harbour council met on day {n}. Ferries ran late.")
    kb.ingest([folder])
    kb.search("harbour", 1)
    errors: list[BaseException] = []
    wrong: list[str] = []
    done = threading.Event()

    def write() -> None:
        churn = tmp_path / "churn"
        churn.mkdir()
        try:
            for round_ in range(60):
                path = article(churn, f"churn{round_ % 3}.txt", "2021-05-01", "Outlet 9",
                               f"Round {round_}: the harbour council ferries story. " * 8)
                kb.ingest([path])
                if round_ % 2:
                    kb.delete(path.name)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    def search() -> None:
        rounds = 0
        try:
            while not done.is_set() or rounds < 100:
                rounds += 1
                for hit in kb.search("harbour council ferries", 4, as_of=date(2021, 3, 1)):
                    if hit.chunk.published is None or hit.chunk.published > "2021-03-01":
                        wrong.append(hit.chunk.source)
                for hit in kb.search("harbour ferries", 4, sources=["steady1.txt"]):
                    if hit.chunk.source != "steady1.txt":
                        wrong.append(hit.chunk.source)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=search)
                                                  for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors[:3]
    assert not wrong, wrong[:5]


def test_killed_between_rows_and_postings_is_repaired_by_the_next_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows committed, postings not yet written (or not yet deleted): the next process to
    open the index brings the postings in line with the rows."""
    path = tmp_path / "lexical.sqlite3"
    index = LexicalIndex(path)
    index.add([chunk("old", "The old ferry timetable.")])

    def killed(self: Postings, ids: object, postings: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(Postings, "replace", killed)
        with pytest.raises(KeyboardInterrupt):
            index.add([chunk("new", "The volcano erupted overnight.")])
        with pytest.raises(KeyboardInterrupt):
            index.delete_source("old")
    assert index.search("volcano", 5) == []  # this process's postings lag its rows
    assert [c.source for c, _ in index.search("ferry", 5)] == []  # row gone, posting kept
    reopened = LexicalIndex(path)
    assert [c.source for c, _ in reopened.search("volcano", 5)] == ["new"]
    assert reopened.postings.search(terms("ferry"), 5)[0] == []  # the deletion finished
    assert reopened.count() == 1


def test_a_file_from_before_the_postings_gets_them_once(tmp_path: Path) -> None:
    """An index file written when FTS5 held the postings: tantivy postings are built from
    its rows on first use, and the old tables go."""
    path = tmp_path / "lexical.sqlite3"
    LexicalIndex(path).add([chunk("a", "The harbour flooded."), chunk("b", "Storm warning.")])
    shutil.rmtree(path.with_suffix(".postings"))
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM facts WHERE name = 'postings'")
        connection.execute("CREATE VIRTUAL TABLE postings USING fts5 (body)")
    index = LexicalIndex(path)
    assert [c.source for c, _ in index.search("harbour", 5)] == ["a"]
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "postings" not in tables


def test_two_processes_writing_at_once_take_turns(tmp_path: Path) -> None:
    """Each write waits for the other process's postings writer (tantivy's lock file)."""
    path = tmp_path / "lexical.sqlite3"
    index = LexicalIndex(path)
    index.add([chunk("start", "Placeholder text.")])
    script = ("import sys; from pathlib import Path; from rag.lexical import LexicalIndex\n"
              "from tests.test_lexical import chunk\n"
              "index = LexicalIndex(Path(sys.argv[1]))\n"
              "for n in range(30):\n"
              "    index.add([chunk(f'other{n}', f'Kestrel report {n} from the other one.')])\n")
    other = subprocess.Popen([sys.executable, "-c", script, str(path)],
                             cwd=Path(__file__).parents[1])
    for n in range(30):
        index.add([chunk(f"mine{n}", f"Kestrel report {n} from this one.")])
    assert other.wait(timeout=120) == 0
    found = {c.source for c, _ in index.search("kestrel report", 100)}
    assert len(found) == 60 and index.count() == 61
