"""Questions, summaries and search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import KB, ModelGate, reader
from api.errors import describe, responses, too_long
from api.schemas import (
    AnswerOut,
    AskRequest,
    SearchOut,
    SearchRequest,
    SummarizeRequest,
    SummaryOut,
)
from api.streaming import TokenStream, sse

router = APIRouter(tags=["answers"], dependencies=[Depends(reader)])

_ASK_EXAMPLE = """event: token
data: {"text": "Yes"}

event: answer
data: {"answer": "...", "refused": false, "citations": [...], ...}
"""


@router.post("/ask", response_model=AnswerOut,
             responses={**responses(401, 413, 422, 503),
                        200: {"content": {"text/event-stream": {"example": _ASK_EXAMPLE}},
                              "description": "The answer; Server-Sent Events when `stream`."}})
async def ask(body: AskRequest, kb: KB,
              model_gate: ModelGate) -> object:
    """Answer a question from the ingested articles, citing the passages it used.

    The answer cites each claim as `[n]`; every citation carries the source file,
    the quoted passage and its character offsets in that file. When the articles
    do not hold the answer, `refused` is true and there are no citations. When
    sources disagree, `conflicts` names both sides with their dates.

    With `"stream": true` the reply is `text/event-stream`: `token` events with
    the text as the model writes it, then one `answer` event with the whole JSON
    answer (its `answer` text is final: the streamed draft may be reworded, e.g.
    when it turns into a refusal). A failure mid-stream is an `error` event.

    Busy model: 503 with `Retry-After`.
    """
    too_long(body.question, kb.settings, "question")
    work = partial(kb.ask, body.question, body.k, body.as_of, body.sources)
    model_gate.admit()
    if body.stream:
        stream = TokenStream(model_gate, lambda on_token: work(on_token=on_token))
        return StreamingResponse(_answer_events(stream), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})
    async with model_gate.slot():
        answer = await run_in_threadpool(work)
    return answer.as_dict()


async def _answer_events(stream: TokenStream) -> AsyncIterator[str]:
    async for kind, value in stream.events():
        if kind == "token":
            yield sse("token", {"text": value})
        elif kind == "done":
            yield sse("answer", value.as_dict())
        else:
            detail, status = describe(value)
            yield sse("error", {"detail": detail, "status": status})


@router.post("/summarize", response_model=SummaryOut,
             responses=responses(401, 404, 413, 422, 503))
async def summarize(body: SummarizeRequest, kb: KB,
                    model_gate: ModelGate) -> object:
    """Summarize one article (`source`), chosen articles as one story (`sources`), or a
    `topic` across articles as a dated timeline.

    Every summary sentence cites its passages, as in `/ask`. Long inputs are
    summarized in parts, then combined.
    """
    if body.topic is not None:
        too_long(body.topic, kb.settings, "topic")
    model_gate.admit()
    async with model_gate.slot():
        summary = await run_in_threadpool(kb.summarize, body.source, body.topic, body.as_of,
                                          body.sources, body.form, body.sentences,
                                          body.words)
    return summary.as_dict()


@router.post("/search", response_model=SearchOut, responses=responses(401, 413, 422, 503))
async def search(body: SearchRequest, kb: KB) -> object:
    """The `k` passages that best match `query` (dense and BM25 search fused), best first."""
    too_long(body.query, kb.settings, "query")
    hits = await run_in_threadpool(kb.search, body.query, body.k)
    return {"hits": [hit.as_dict() for hit in hits]}
