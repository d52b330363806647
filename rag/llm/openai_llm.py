"""Any OpenAI-compatible chat server (OpenAI, vLLM, Ollama, llama.cpp's server)."""

from __future__ import annotations

import json
from collections.abc import Generator

from rag.llm.base import LLM, Message, Usage
from rag.openai_http import OpenAIHttp


class OpenAIChatLLM(LLM):
    def __init__(self, http: OpenAIHttp, model: str) -> None:
        self.http = http
        self.model = model

    @property
    def model_id(self) -> str:
        return f"openai:{self.model}"

    def check(self) -> None:
        self.http.get("/models")

    def _stream(self, messages: list[Message], max_tokens: int
                ) -> Generator[str, None, Usage]:
        payload = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                   "temperature": 0.0, "stream": True,
                   "stream_options": {"include_usage": True}}
        usage = None
        pieces = 0
        for data in self.http.stream("/chat/completions", payload):
            event = json.loads(data)
            if event.get("usage"):
                usage = event["usage"]
            for choice in event.get("choices") or []:
                if text := (choice.get("delta") or {}).get("content"):
                    pieces += 1
                    yield text
        if usage:
            return Usage(int(usage.get("prompt_tokens", 0)),
                         int(usage.get("completion_tokens", pieces)))
        # Some servers (llama.cpp's among them) send no usage while streaming: count
        # streamed pieces, and estimate the prompt at four characters a token.
        characters = sum(len(m["content"]) for m in messages)
        return Usage(max(1, characters // 4), pieces)
