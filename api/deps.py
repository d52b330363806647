"""What routes receive: the knowledge base, the model gate, and the API-key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.gate import Gate
from rag.knowledge_base import KnowledgeBase

_bearer = HTTPBearer(auto_error=False, description="RAG_API_KEY, when the server sets one.")


def knowledge_base(request: Request) -> KnowledgeBase:
    return request.app.state.kb


def gate(request: Request) -> Gate:
    return request.app.state.gate


KB = Annotated[KnowledgeBase, Depends(knowledge_base)]
ModelGate = Annotated[Gate, Depends(gate)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _check_key(request: Request, credentials: HTTPAuthorizationCredentials | None,
               write: bool) -> None:
    api = request.app.state.kb.settings.api
    if not api.api_key or not (write or api.auth_all):
        return
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), api.api_key.encode()):
        raise HTTPException(401, "missing or wrong API key: send Authorization: Bearer <key>",
                            headers={"WWW-Authenticate": "Bearer"})


def reader(request: Request, credentials: Credentials) -> None:
    """Open unless RAG_API_AUTH_ALL is on."""
    _check_key(request, credentials, write=False)


def writer(request: Request, credentials: Credentials) -> None:
    """Needs the key whenever RAG_API_KEY is set."""
    _check_key(request, credentials, write=True)
