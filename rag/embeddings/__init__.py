"""Embedding backends, chosen by name in settings (`RAG_EMBEDDINGS`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rag.embeddings.base import Embedder
from rag.settings import Settings


def _minilm(settings: Settings, _arg: str) -> Embedder:
    from rag.embeddings.sentence_transformers_embedder import (
        MINILM_ID,
        SentenceTransformersEmbedder,
    )

    return SentenceTransformersEmbedder(None, MINILM_ID, settings.threads,
                                        settings.embeddings.batch_size)


def _sentence_transformers(settings: Settings, path: str) -> Embedder:
    from rag.embeddings.sentence_transformers_embedder import SentenceTransformersEmbedder

    return SentenceTransformersEmbedder(Path(path).expanduser(), None, settings.threads,
                                        settings.embeddings.batch_size)


def _hash(settings: Settings, _arg: str) -> Embedder:
    from rag.embeddings.hash_embedder import HashEmbedder

    return HashEmbedder(settings.embeddings.hash_dim)


def _openai(settings: Settings, _arg: str) -> Embedder:
    from rag.embeddings.openai_embedder import OpenAIEmbedder
    from rag.openai_http import OpenAIHttp

    http = OpenAIHttp(settings.openai.base_url, settings.openai.api_key, settings.openai.timeout_s)
    return OpenAIEmbedder(http, settings.embeddings.openai_model)


EMBEDDERS: dict[str, Callable[[Settings, str], Embedder]] = {
    "minilm": _minilm,
    "sentence-transformers": _sentence_transformers,
    "hash": _hash,
    "openai": _openai,
}


def make_embedder(settings: Settings) -> Embedder:
    """Build (not load) the embedder that `settings.embeddings.backend` names."""
    name, _, arg = settings.embeddings.backend.partition(":")
    return EMBEDDERS[name](settings, arg)


__all__ = ["EMBEDDERS", "Embedder", "make_embedder"]
