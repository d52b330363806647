from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rag.errors import ConfigError, SourceNotFoundError
from rag.knowledge_base import KnowledgeBase
from tests.conftest import NEWER_SEED, OLDER_SEED
from tests.test_answer import assert_quotes_are_exact


def test_article_summary_cites_only_that_article(extractive: KnowledgeBase,  # noqa: F811
                                                 seeds: Path) -> None:
    summary = extractive.summarize(source=OLDER_SEED).as_dict()
    assert set(summary) == {"summary", "citations", "backend", "timings"}
    assert {c["source"] for c in summary["citations"]} == {OLDER_SEED}
    assert len(summary["citations"]) >= 2
    assert "denied" in summary["summary"]  # the article's lead is in its summary
    assert_quotes_are_exact(summary, seeds)


def test_topic_summary_is_a_timeline(extractive: KnowledgeBase, seeds: Path) -> None:  # noqa: F811
    summary = extractive.summarize(topic="joint operations between Iraq and the coalition")
    data = summary.as_dict()
    assert {c["source"] for c in data["citations"]} == {NEWER_SEED, OLDER_SEED}
    text = data["summary"]
    assert text.index("2020-01-16") < text.index("2020-01-30")
    assert_quotes_are_exact(data, seeds)


def test_summarize_needs_exactly_one_target(extractive: KnowledgeBase) -> None:  # noqa: F811
    with pytest.raises(ConfigError):
        extractive.summarize()
    with pytest.raises(SourceNotFoundError):
        extractive.summarize(source="absent.txt")


def test_cli_summarize(rag: Callable[..., tuple[int, Any, str]], seeds: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_LLM", "extractive")
    rag("ingest", str(seeds))
    code, summary, _ = rag("summarize", NEWER_SEED, "--json")
    assert code == 0 and summary["citations"]
    code, _, err = rag("summarize")
    assert code == 2 and "--topic" in err
    code, answer, _ = rag("ask", "How many American troops were wounded?", "--json")
    assert code == 0 and "50" in answer["answer"]
