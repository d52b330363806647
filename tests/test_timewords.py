"""News time words resolved against the as-of date."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rag.timewords import Period, asks_latest_report, period, wants_latest

AS_OF = date(2024, 10, 3)  # a Thursday


@pytest.mark.parametrize(("question", "start", "end"), [
    ("Which country swore in its first female president this week?", "2024-09-26", "2024-10-03"),
    ("Which race took place recently?", "2024-09-26", "2024-10-03"),
    ("What did the court rule on Monday?", "2024-09-30", "2024-10-02"),
    ("What happened yesterday in Paris?", "2024-09-30", "2024-10-04"),
    ("Who won the vote last month?", "2024-09-02", "2024-10-03"),
])
def test_time_words_become_a_window_of_reports(question: str, start: str, end: str) -> None:
    assert period(question, AS_OF) == Period(date.fromisoformat(start), date.fromisoformat(end))


def test_no_time_words_no_window_and_undated_reports_are_outside_one() -> None:
    assert period("Who directed Titanic?", AS_OF) is None
    window = period("What happened this week?", AS_OF)
    assert window is not None and window.holds("2024-10-01") and not window.holds("2024-09-01")
    assert not window.holds(None)


def test_questions_about_the_current_state() -> None:
    assert wants_latest("What is the latest on the strike?")
    assert wants_latest("Is the bridge still closed?")
    assert not wants_latest("Who directed Titanic?")


def test_the_report_of_the_week_asked_about_ranks_first(kb: Any, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "old.txt").write_text(
        "Title: Vote\nDate: 2024-06-01\n\nLawmakers held a vote on the president of the "
        "assembly; the president of the assembly vote went to Ana Ruiz, a nominee.\n")
    (folder / "new.txt").write_text(
        "Title: Sworn in\nDate: 2024-10-02\n\nMaria Lopez was sworn in as president of the "
        "assembly.\n")
    kb.ingest([folder])
    question = "Who became president of the assembly this week?"
    plain = kb.retriever.retrieve(question.replace(" this week", ""), 2, AS_OF)
    dated = kb.retriever.retrieve(question, 2, AS_OF)
    assert plain[0].chunk.source == "old.txt"  # the older report matches more words
    assert dated[0].chunk.source == "new.txt"


def test_questions_asking_what_the_newest_report_says() -> None:
    assert asks_latest_report("What is the latest report on joint operations?")
    assert asks_latest_report("What's the latest on the strike?")
    assert asks_latest_report("What is the most recent news about the Patriot missiles?")
    assert not asks_latest_report("Who is the latest player to sign?")  # one fact
    assert not asks_latest_report("Have the latest talks on the strike failed?")
