"""Contract every embedder keeps; the model-backed ones run it in their integration tests."""

import math
from pathlib import Path

import pytest

from rag.embeddings import Embedder
from rag.embeddings.cached import CachedEmbedder
from rag.embeddings.hash_embedder import HashEmbedder
from rag.embeddings.openai_embedder import _pooled


def check_contract(embedder: Embedder) -> None:
    texts = ["Patriot missile defenses", "", "A lemon cake recipe"]
    vectors = embedder.embed_documents(texts)
    assert len(vectors) == 3
    assert {len(v) for v in vectors} == {embedder.dimension}
    assert embedder.embed_query(texts[0]) == pytest.approx(vectors[0], abs=1e-5)
    assert all(math.isfinite(x) for v in vectors for x in v)
    assert embedder.embed_documents([]) == []


def test_hash_embedder_contract() -> None:
    check_contract(HashEmbedder(64))


def test_hash_embedder_is_lexical_and_stable() -> None:
    embedder = HashEmbedder(256)
    a, b, c = embedder.embed_documents(["Iraq coalition operations", "coalition operations in Iraq",
                                        "lemon cake"])
    def dot(x: list[float], y: list[float]) -> float:
        return sum(p * q for p, q in zip(x, y, strict=True))
    assert dot(a, b) > 0.5 > dot(a, c)
    assert HashEmbedder(256).embed_query("Iraq") == embedder.embed_query("Iraq")


def test_token_vectors_are_mean_pooled() -> None:
    assert _pooled([[3.0, 0.0], [1.0, 0.0]]) == pytest.approx([1.0, 0.0])
    assert _pooled([0.6, 0.8]) == [0.6, 0.8]


@pytest.mark.integration
def test_minilm_contract() -> None:
    pytest.importorskip("sentence_transformers")
    from rag.embeddings.sentence_transformers_embedder import SentenceTransformersEmbedder

    check_contract(SentenceTransformersEmbedder(None, "minilm", threads=2))


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__(32)
        self.embedded: list[str] = []

    def _embed(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return super()._embed(texts)


def test_cached_embedder_contract() -> None:
    check_contract(CachedEmbedder(HashEmbedder(64)))


def test_cached_embedder_embeds_each_text_once_and_returns_the_same_vectors() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner)
    first = cached.embed_documents(["troops left", "missiles", "troops left"])
    assert inner.embedded == ["troops left", "missiles"]
    again = cached.embed_documents(["missiles", "rain", "troops left"])
    assert inner.embedded == ["troops left", "missiles", "rain"]
    assert again[0] == first[1] and again[2] == first[0]
    assert again[1] == pytest.approx(HashEmbedder(32).embed_query("rain"), abs=1e-6)
    assert cached.model_id == inner.model_id


def test_cached_embedder_forgets_the_least_recently_used_text() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, max_items=2)
    cached.embed_documents(["a a", "b b"])
    cached.embed_documents(["a a", "c c"])  # "a a" was used again, so "b b" goes
    cached.embed_documents(["a a", "b b"])
    assert inner.embedded == ["a a", "b b", "c c", "b b"]



@pytest.mark.integration
def test_minilm_questions_without_torch_match_sentence_transformers() -> None:
    """The numpy copy of MiniLM gives a shell's question the vector the model gives it."""
    pytest.importorskip("sentence_transformers")
    from rag.embeddings.sentence_transformers_embedder import SentenceTransformersEmbedder

    embedder = SentenceTransformersEmbedder(None, "minilm", threads=2)
    texts = ["Have joint operations between Iraq and the coalition resumed?", "",
             "Who won? " * 200]  # blank, and longer than the 256-token limit
    quick = [embedder.embed_query(text) for text in texts]
    assert embedder._model is None and embedder._query_encoder is not None
    reference = embedder.embed_documents(texts)
    for fast, slow in zip(quick, reference, strict=True):
        assert len(fast) == 384
        assert sum(a * b for a, b in zip(fast, slow, strict=True)) > 0.99999
    assert embedder.embed_query(texts[0]) == embedder.embed_documents(texts[:1])[0]


def test_numpy_encoder_reads_only_bert_mean_pooling(tmp_path: Path) -> None:
    from rag.embeddings.bert_numpy import readable

    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "config.json").write_text('{"model_type": "bert", "hidden_act": "gelu"}')
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    assert not readable(tmp_path)
    assert not readable(tmp_path / "missing")
