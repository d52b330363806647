"""Any OpenAI-compatible `/v1/embeddings` server (OpenAI, vLLM, Ollama, llama.cpp's server)."""

from __future__ import annotations

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
        return [row["embedding"] for row in rows]
