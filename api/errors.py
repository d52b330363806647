"""Status codes for everything that can go wrong, and JSON bodies that say what it was.

Nothing a client sends produces a 500 or a traceback: bad input is a 4xx,
a backend that cannot serve is a 503, and anything unexpected is logged here
and reported as a plain 500 message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.gate import Busy
from api.schemas import Error
from rag.errors import ArticleError, ForbiddenAddressError, RagError, SourceNotFoundError
from rag.settings import Settings

log = logging.getLogger("api")


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error codes a route can answer with."""
    words = {401: "Missing or wrong API key", 403: "An address the service does not fetch",
             404: "No such source",
             413: "Question or upload over the size limit", 422: "Invalid input",
             503: "Busy (see Retry-After) or a backend is unavailable"}
    return {code: {"model": Error, "description": words[code]} for code in codes}


def too_long(text: str, settings: Settings, what: str) -> None:
    limit = settings.api.max_question_chars
    if len(text) > limit:
        raise HTTPException(413, f"{what} is {len(text):,} characters; the limit is {limit:,} "
                                 "(RAG_MAX_QUESTION_CHARS)")


def status_for(exc: RagError) -> int:
    if isinstance(exc, SourceNotFoundError):
        return 404
    if isinstance(exc, ForbiddenAddressError):
        return 403
    if isinstance(exc, ArticleError):
        return 422
    # Configuration, model files, the store or a model server: the service cannot serve.
    return 503


INTERNAL = "internal error; the server log has the details"


def describe(exc: Exception) -> tuple[str, int]:
    """Message and status for a failure reported inside an already started stream."""
    if isinstance(exc, RagError):
        return str(exc), status_for(exc)
    log.error("unexpected error while streaming", exc_info=exc)
    return INTERNAL, 500


def describe_validation(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        errors.append({"loc": loc, "msg": error.get("msg", "invalid"),
                       "type": error.get("type", "value_error")})
    return errors


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = describe_validation(exc)
        message = "; ".join(f"{'.'.join(e['loc'][1:] or e['loc'])}: {e['msg']}" for e in errors)
        return JSONResponse({"detail": errors, "message": message}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette answers 400 when a body cannot be parsed at all; for a client that is
        # invalid input like any other, so it gets the same 422 as a body that fails the schema.
        if exc.status_code == 400:
            return JSONResponse({"detail": f"{exc.detail}: send a JSON body (a multipart form "
                                           "for uploads) as described at /docs"},
                                status_code=422)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=exc.headers)

    @app.exception_handler(Busy)
    async def busy(_: Request, exc: Busy) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503,
                            headers={"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(RagError)
    async def rag_error(_: Request, exc: RagError) -> JSONResponse:
        status = status_for(exc)
        if status == 503:
            log.warning("backend unavailable: %s", exc)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": INTERNAL}, status_code=500)
