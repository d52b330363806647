"""Any OpenAI-compatible chat server (OpenAI, vLLM, Ollama, llama.cpp's server).

Structured replies: servers differ in how they take a JSON schema. OpenAI and
vLLM take `response_format: {"type": "json_schema", ...}`; llama-cpp-python's
server refuses that type and takes `{"type": "json_object", "schema": ...}`;
some take neither. With `RAG_OPENAI_RESPONSE_FORMAT=auto` the backend tries
them in that order, remembers the first the server accepts, and otherwise asks
for the JSON in words (`prompt`), leaving the decoding and checking to
`LLM.complete_json`.
"""

from __future__ import annotations

import json
from collections.abc import Generator

from rag.errors import RequestRejectedError
from rag.llm.base import LLM, Message, Schema, Usage
from rag.openai_http import OpenAIHttp
from rag.prompting import render

FORMATS = ("json_schema", "json_object", "prompt")


class OpenAIChatLLM(LLM):
    def __init__(self, http: OpenAIHttp, model: str, response_format: str = "auto") -> None:
        self.http = http
        self.model = model
        self.response_format = response_format
        self._accepted: str | None = None if response_format == "auto" else response_format

    @property
    def model_id(self) -> str:
        return f"openai:{self.model}"

    def check(self) -> None:
        self.http.get("/models")

    def _stream(self, messages: list[Message], max_tokens: int, schema: Schema | None = None
                ) -> Generator[str, None, Usage]:
        if schema is None:
            return (yield from self._chat(messages, max_tokens, None))
        kinds = [self._accepted] if self._accepted else list(FORMATS)
        for kind in kinds:
            if kind == "prompt":
                instruction = render("json_reply", schema=json.dumps(schema))
                last = {**messages[-1], "content": f"{messages[-1]['content']}\n\n{instruction}"}
                asked = [*messages[:-1], last]
                usage = yield from self._chat(asked, max_tokens, None)
            else:
                try:
                    # A server that refuses the format says so before streaming anything.
                    usage = yield from self._chat(messages, max_tokens,
                                                  _response_format(kind, schema))
                except RequestRejectedError:
                    if kind == kinds[-1]:
                        raise
                    continue
            self._accepted = kind
            return usage
        raise AssertionError("unreachable: the last format is never skipped")

    def _chat(self, messages: list[Message], max_tokens: int,
              response_format: dict | None) -> Generator[str, None, Usage]:
        payload = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                   "temperature": 0.0, "stream": True,
                   "stream_options": {"include_usage": True}}
        if response_format is not None:
            payload["response_format"] = response_format
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


def _response_format(kind: str, schema: Schema) -> dict:
    if kind == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": "reply", "strict": True, "schema": schema}}
    return {"type": "json_object", "schema": schema}
