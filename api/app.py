"""The HTTP service: `create_app(settings)` builds it; `rag serve` runs it with uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from api import errors
from api.gate import Gate, OpenGate
from api.routes import answers, documents, feeds, openai, system
from rag.knowledge_base import KnowledgeBase
from rag.polling import BackgroundPolling
from rag.settings import Settings, load_settings

DESCRIPTION = """Question answering and summaries over a folder of news articles.

Every answer cites the exact passages it came from (file, quote, character
offsets), refuses when the articles do not hold the answer, and says so when
sources disagree. Model-backed routes (`/ask`, `/summarize`, `/v1/chat/completions`)
share a small number of slots; when those and the queue are full they answer
503 with `Retry-After`.

With `RAG_API_KEY` set, uploads and deletes need `Authorization: Bearer <key>`
(every route, with `RAG_API_AUTH_ALL=true`).
"""


def create_app(settings: Settings, kb: KnowledgeBase | None = None) -> FastAPI:
    """Build the app. Nothing is loaded here: models load on the first request that needs them."""
    knowledge_base = kb or KnowledgeBase(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        polling = BackgroundPolling(knowledge_base) if settings.fetch.poll_feeds else None
        if polling:
            polling.start()
        yield
        if polling:
            polling.stop()

    app = FastAPI(title="rag: news knowledge base", version="0.1.0", description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.kb = knowledge_base
    api = settings.api
    app.state.gate = (OpenGate() if settings.llm.backend == "extractive"
                      else Gate(api.concurrency, api.queue, api.retry_after_s))
    if api.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=api.cors_origins,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])
    errors.install(app)
    for module in (system, answers, documents, feeds, openai):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(packages=[("api", "static")]), name="static")
    return app


def app_from_environment() -> FastAPI:
    """The app for one of `rag serve --workers N`'s processes: settings from the environment."""
    return create_app(load_settings())
