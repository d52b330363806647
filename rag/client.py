"""The `rag` CLI's way to a running `rag serve`: ask it instead of loading models per call.

A server is used when `RAG_SERVER_URL` names one, or when the default local
address answers `/health` for the same store as this shell's settings (so a
server started on other data is never asked by mistake). Replies are the
HTTP API's JSON, which the CLI prints like its own results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from rag.errors import ConfigError, RagError, SourceNotFoundError
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.knowledge_base import KnowledgeBase

DEFAULT_URL = "http://127.0.0.1:8000"
PROBE_TIMEOUT_S = 0.5


def store_id(settings: Settings) -> str:
    """Names the store a process serves (data folder, Chroma server, collection), opaquely."""
    where = settings.chroma.url or str(settings.data_dir.resolve())
    material = f"{where}|{settings.chroma.collection}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


class Service(Protocol):
    """What `rag search/ask/summarize` need, as the HTTP API's JSON: in this process or not."""

    def search(self, query: str, k: int) -> list[dict[str, Any]]: ...

    def ask(self, question: str, k: int | None, as_of: date | None,
            on_token: Callable[[str], None] | None = None) -> dict[str, Any]: ...

    def summarize(self, sources: list[str], topic: str | None, as_of: date | None,
                  form: str | None = None, sentences: int | None = None,
                  words: int | None = None) -> dict[str, Any]: ...


class InProcess:
    """The service in this process: loads what each call needs on first use."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def search(self, query: str, k: int) -> list[dict[str, Any]]:
        return [hit.as_dict() for hit in self.kb.search(query, k)]

    def ask(self, question: str, k: int | None, as_of: date | None,
            on_token: Callable[[str], None] | None = None) -> dict[str, Any]:
        return self.kb.ask(question, k, as_of, on_token=on_token).as_dict()

    def summarize(self, sources: list[str], topic: str | None, as_of: date | None,
                  form: str | None = None, sentences: int | None = None,
                  words: int | None = None) -> dict[str, Any]:
        return self.kb.summarize(topic=topic, as_of=as_of,
                                 sources=sources if topic is None else None,
                                 form=form, sentences=sentences, words=words).as_dict()


class ServerClient:
    """The service of a running `rag serve`, over its HTTP API."""

    def __init__(self, url: str, api_key: str | None = None, timeout_s: float = 600) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)

    def health(self) -> dict[str, Any]:
        reply = self._http.get("/health", timeout=PROBE_TIMEOUT_S)
        reply.raise_for_status()
        return reply.json()

    def search(self, query: str, k: int) -> list[dict[str, Any]]:
        return self._post("/search", {"query": query, "k": k})["hits"]

    def summarize(self, sources: list[str], topic: str | None, as_of: date | None,
                  form: str | None = None, sentences: int | None = None,
                  words: int | None = None) -> dict[str, Any]:
        return self._post("/summarize", {"sources": sources if topic is None else None,
                                         "topic": topic,
                                         "as_of": as_of.isoformat() if as_of else None,
                                         "form": form, "sentences": sentences,
                                         "words": words})

    def ask(self, question: str, k: int | None, as_of: date | None,
            on_token: Callable[[str], None] | None = None) -> dict[str, Any]:
        body = {"question": question, "k": k, "as_of": as_of.isoformat() if as_of else None,
                "stream": on_token is not None}
        if on_token is None:
            return self._post("/ask", body)
        with self._http.stream("POST", "/ask", json=body) as reply:
            if reply.status_code != 200:
                reply.read()
                raise _error(reply)
            for event, data in _events(reply.iter_lines()):
                if event == "token":
                    on_token(data["text"])
                elif event == "answer":
                    return data
                elif event == "error":
                    raise RagError(f"the server failed: {data.get('detail')}")
        raise RagError("the server closed the answer stream early")

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            reply = self._http.post(path, json=body)
        except httpx.TransportError as exc:
            raise RagError(f"cannot reach the server at {self.url}: {exc}") from exc
        if reply.status_code != 200:
            raise _error(reply)
        return reply.json()


def reachable_server(settings: Settings) -> ServerClient | None:
    """The server to use, or None to work in this process.

    `RAG_SERVER_URL=none` (or `off`) never uses one. A configured URL that does
    not answer is an error rather than a silent fallback: the user asked for it.
    """
    configured = settings.server_url
    if configured and configured.lower() in ("none", "off"):
        return None
    client = ServerClient(configured or DEFAULT_URL, settings.api.api_key)
    try:
        health = client.health()
    except (httpx.HTTPError, ValueError):
        if configured:
            raise ConfigError(f"RAG_SERVER_URL={configured} does not answer /health; start "
                              "`rag serve` there, or unset RAG_SERVER_URL") from None
        return None
    if configured or health.get("store") == store_id(settings):
        return client
    return None


def _events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a Server-Sent Events stream."""
    event = "message"
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            yield event, json.loads(line[5:].strip())
            event = "message"


def _error(reply: httpx.Response) -> RagError:
    try:
        detail = reply.json().get("detail", reply.text)
    except ValueError:
        detail = reply.text
    if reply.status_code == 404:
        return SourceNotFoundError(str(detail))
    if reply.status_code in (400, 413, 422):
        return ConfigError(f"the server refused the request: {detail}")
    return RagError(f"the server answered {reply.status_code}: {detail}")
