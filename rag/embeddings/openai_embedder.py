"""Any OpenAI-compatible `/v1/embeddings` server (OpenAI, vLLM, Ollama, llama.cpp's server)."""

from __future__ import annotations

import math

from rag.embeddings.base import Embedder
from rag.openai_http import OpenAIHttp


class OpenAIEmbedder(Embedder):
    max_batch = 64

    def __init__(self, http: OpenAIHttp, model: str) -> None:
        super().__init__()
        self.http = http
        self.model = model

    @property
    def model_id(self) -> str:
        return f"openai:{self.model}"

    def _embed(self, texts: list[str]) -> list[list[float]]:
        reply = self.http.post("/embeddings", {"model": self.model, "input": texts})
        rows = sorted(reply["data"], key=lambda row: row["index"])
        return [_pooled(row["embedding"]) for row in rows]


def _pooled(embedding: list[float] | list[list[float]]) -> list[float]:
    """One vector per text. llama.cpp's server returns one per token for a model without
    pooling; those are mean-pooled and L2-normalized here."""
    if not embedding or not isinstance(embedding[0], list):
        return embedding  # type: ignore[return-value]
    tokens = embedding
    mean = [sum(column) / len(tokens) for column in zip(*tokens, strict=True)]
    norm = math.sqrt(sum(x * x for x in mean)) or 1.0
    return [x / norm for x in mean]
