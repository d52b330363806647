"""Liveness, readiness and the web page."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import KB
from api.schemas import Health, Readiness
from rag.client import store_id

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health)
async def health(kb: KB) -> object:
    """The process is up and answering. Says nothing about the store or models: see `/ready`."""
    return {"status": "ok", "store": store_id(kb.settings)}


@router.get("/ready", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "Some part is not ready"}})
async def ready(kb: KB) -> object:
    """Whether the service can answer: the store is reachable, the embedding model loads,
    and the chat model's files (or server) are there. 503 lists what is not ready.

    The first call loads the embedding model, and for the bundled LLM may assemble its
    file from the part packages (once, about a minute); later calls are quick.
    """
    checks = await run_in_threadpool(kb.check)
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page() -> str:
    return files("api").joinpath("static/index.html").read_text(encoding="utf-8")
