"""OpenAI-compatible chat, so existing chat clients can ask the knowledge base.

The last user message is the question (earlier turns are not used: each answer
comes from the articles alone). The reply text ends with a numbered source
list, and the `citations`, `conflicts` and `refused` fields carry the same
data as `/ask`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import KB, ModelGate, reader
from api.errors import describe, responses, too_long
from api.schemas import ChatRequest, ChatResponse, ModelList
from api.streaming import TokenStream
from rag.answer import Answer

router = APIRouter(prefix="/v1", tags=["openai-compatible"], dependencies=[Depends(reader)])

MODEL_ID = "rag-news"


def sources_list(answer: Answer) -> str:
    """The citations as a numbered list, for clients that show only the text."""
    lines = []
    for citation in answer.citations:
        c = citation.as_dict()
        lines.append(f"[{c['n']}] {c['title']} ({c['published'] or 'undated'}), {c['source']}")
    return "\n\nSources:\n" + "\n".join(lines) if lines else ""


def _extras(answer: Answer) -> dict[str, Any]:
    data = answer.as_dict()
    return {"citations": data["citations"], "conflicts": data["conflicts"],
            "refused": data["refused"]}


@router.get("/models", response_model=ModelList, responses=responses(401))
async def models() -> object:
    """The one model this service offers: answers from the ingested articles."""
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0,
                                        "owned_by": "rag"}]}


@router.post("/chat/completions", response_model=ChatResponse,
             responses={**responses(401, 413, 422, 503),
                        200: {"content": {"text/event-stream": {}},
                              "description": "The completion; `chat.completion.chunk` "
                                             "events when `stream`."}})
async def chat_completions(body: ChatRequest, kb: KB,
                           model_gate: ModelGate) -> object:
    """Answer the last user message from the articles, OpenAI chat-completions style.

    Streaming sends `chat.completion.chunk` events as the model writes, then a
    chunk with the rest of the final text (conflict notes, the source list) and
    the `citations`, then `data: [DONE]`.
    """
    try:
        question = body.question()
    except ValueError as exc:
        raise HTTPException(422, f"messages: {exc}") from None
    too_long(question, kb.settings, "question")
    work = partial(kb.ask, question)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    model_gate.admit()
    if body.stream:
        stream = TokenStream(model_gate, lambda on_token: work(on_token=on_token))
        return StreamingResponse(_chunks(stream, completion_id, created),
                                 media_type="text/event-stream")
    async with model_gate.slot():
        answer: Answer = await run_in_threadpool(work)
    timings = answer.timings
    usage = {"prompt_tokens": int(timings.get("prompt_tokens", 0)),
             "completion_tokens": int(timings.get("completion_tokens", 0))}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return {"id": completion_id, "object": "chat.completion", "created": created,
            "model": MODEL_ID, "usage": usage, **_extras(answer),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": answer.answer + sources_list(answer)}}]}


async def _chunks(stream: TokenStream, completion_id: str, created: int) -> AsyncIterator[str]:
    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                "model": MODEL_ID, **extra,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    streamed = ""
    async for kind, value in stream.events():
        if kind == "token":
            streamed += value
            yield chunk({"content": value})
            continue
        if kind == "done":
            final = value.answer
            # The client has the draft. Complete it into the final text, or, when the checks
            # changed it (renumbered citations, a refusal), send the final text after it.
            if final.startswith(streamed):
                rest = final[len(streamed):]
            elif value.refused:
                rest = f"\n\n{final}"
            else:
                rest = f"\n\nWith checked citations: {final}"
            yield chunk({"content": rest + sources_list(value)}, "stop", **_extras(value))
        else:
            detail, status = describe(value)
            yield f"data: {json.dumps({'error': {'message': detail, 'code': status}})}\n\n"
        yield "data: [DONE]\n\n"
