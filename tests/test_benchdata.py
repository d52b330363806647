"""Cleaning on 300 real news articles (MultiHop-RAG), when ../shared/benchdata is present."""

from __future__ import annotations

import json
import re

import pytest

from rag.articles import read_article
from rag.chunking import chunk_article
from tests.conftest import BENCH

pytestmark = pytest.mark.skipif(not (BENCH / "manifest.jsonl").exists(),
                                reason="benchmark data not present")


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_metadata_matches_the_manifest() -> None:
    for line in (BENCH / "manifest.jsonl").open():
        row = json.loads(line)
        article = read_article(BENCH / "corpus" / row["file"])
        assert article.title == fold(row["title"]), row["file"]
        assert article.published.isoformat() == row["published_at"][:10], row["file"]
        assert article.outlet == row["source"], row["file"]


def test_no_gold_fact_is_lost_by_cleaning_or_chunking() -> None:
    articles = {}
    for line in (BENCH / "questions.jsonl").open():
        for evidence in json.loads(line).get("evidence", []):
            name = evidence["file"]
            if name not in articles:
                article = read_article(BENCH / "corpus" / name)
                articles[name] = [fold(c.text) for c in chunk_article(article, 800, 150)]
            fact = fold(evidence["fact"])
            assert any(fact in chunk for chunk in articles[name]) or \
                fact in " ".join(articles[name]), (name, fact[:80])
