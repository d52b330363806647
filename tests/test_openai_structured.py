"""The openai backend's structured replies: which `response_format` it sends, and its fallbacks.

The real server is exercised in tests/test_openai_backend.py; here a scripted
transport stands in for servers that accept one format or another.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from rag.errors import MalformedReplyError, RequestRejectedError
from rag.llm.openai_llm import OpenAIChatLLM
from rag.openai_http import OpenAIHttp

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}},
          "required": ["answer"]}
ASK = [{"role": "user", "content": "Who won?"}]


class ScriptedServer(OpenAIHttp):
    """Accepts only the response formats in `accepts` ("prompt" = none sent); replies `reply`."""

    def __init__(self, accepts: set[str], reply: str = '{"answer": "Arsenal"}') -> None:
        super().__init__("http://127.0.0.1:9/v1", None)
        self.accepts = accepts
        self.reply = reply
        self.payloads: list[dict[str, Any]] = []

    def stream(self, path: str, payload: dict[str, Any]) -> Iterator[str]:
        self.payloads.append(payload)
        kind = payload.get("response_format", {}).get("type", "prompt")
        if kind not in self.accepts:
            raise RequestRejectedError(f"422: {kind} is not supported")
        yield json.dumps({"choices": [{"delta": {"content": self.reply}}]})


def sent(server: ScriptedServer) -> list[str]:
    return [p.get("response_format", {}).get("type", "prompt") for p in server.payloads]


def test_json_schema_first_as_openai_and_vllm_take_it() -> None:
    server = ScriptedServer({"json_schema", "json_object", "prompt"})
    value, _ = OpenAIChatLLM(server, "m").complete_json(ASK, SCHEMA, 20)
    assert value == {"answer": "Arsenal"} and sent(server) == ["json_schema"]
    format_ = server.payloads[0]["response_format"]
    assert format_["json_schema"]["schema"] == SCHEMA and format_["json_schema"]["strict"]


def test_falls_back_to_json_object_and_remembers_it() -> None:
    server = ScriptedServer({"json_object", "prompt"})  # llama-cpp-python's server
    llm = OpenAIChatLLM(server, "m")
    llm.complete_json(ASK, SCHEMA, 20)
    llm.complete_json(ASK, SCHEMA, 20)
    assert sent(server) == ["json_schema", "json_object", "json_object"]
    assert server.payloads[1]["response_format"] == {"type": "json_object", "schema": SCHEMA}


def test_asks_in_words_where_no_format_is_taken() -> None:
    server = ScriptedServer({"prompt"}, reply='Sure! ```json\n{"answer": "Arsenal"}\n```')
    value, _ = OpenAIChatLLM(server, "m").complete_json(ASK, SCHEMA, 20)
    assert value == {"answer": "Arsenal"}
    assert sent(server) == ["json_schema", "json_object", "prompt"]
    asked = server.payloads[-1]["messages"][-1]["content"]
    assert asked.startswith("Who won?") and json.dumps(SCHEMA) in asked


def test_a_reply_in_words_that_is_no_json_is_a_clear_error() -> None:
    server = ScriptedServer({"prompt"}, reply="Arsenal won it.")
    with pytest.raises(MalformedReplyError, match="not the JSON asked for"):
        OpenAIChatLLM(server, "m", response_format="prompt").complete_json(ASK, SCHEMA, 20)
    assert sent(server) == ["prompt"]


def test_a_pinned_format_the_server_refuses_is_an_error_not_a_fallback() -> None:
    server = ScriptedServer({"prompt"})
    with pytest.raises(RequestRejectedError):
        OpenAIChatLLM(server, "m", response_format="json_schema").complete_json(ASK, SCHEMA, 20)
    assert sent(server) == ["json_schema"]


def test_plain_completions_send_no_format() -> None:
    server = ScriptedServer({"prompt"}, reply="hello")
    assert OpenAIChatLLM(server, "m").complete(ASK, 20).text == "hello"
    assert sent(server) == ["prompt"]
